// POST /mcp refusals: Accept, Content-Type, body size, JSON and JSON-RPC
// validity, protocol version header; GET/DELETE and unknown paths.
// Every refusal has the SDK's body {"jsonrpc":"2.0","error":{..},"id":null}.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  ACCEPT_BOTH, assertJsonRpcError, fixtureCmd, header, httpRequest, killAll,
  mcpHeaders, rawPost, rpc, startGateway, toolCall,
} from './lib.mjs';

after(killAll);

const NOT_ACCEPTABLE =
  'Not Acceptable: Client must accept both application/json and text/event-stream';
const UNSUPPORTED_MEDIA = 'Unsupported Media Type: Content-Type must be application/json';
const PARSE_JSON = 'Parse error: Invalid JSON';
const PARSE_RPC = 'Parse error: Invalid JSON-RPC message';

const ping = () => JSON.stringify(rpc('ping'));

describe('POST /mcp refusals', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd()]);
  });
  after(() => gw?.kill());

  test('a well-formed ping is accepted (baseline)', async () => {
    const r = await rawPost(gw.url, ping());
    assert.equal(r.status, 200, r.text);
  });

  for (const [label, accept] of [
    ['missing', undefined],
    ['application/json only', 'application/json'],
    ['text/event-stream only', 'text/event-stream'],
    ['*/*', '*/*'],
    ['text/html', 'text/html'],
  ]) {
    test(`Accept ${label} → 406`, async () => {
      const headers = { 'content-type': 'application/json' };
      if (accept !== undefined) headers.accept = accept;
      // node:http, so that a missing Accept is really missing.
      const r = await httpRequest(gw.url, { method: 'POST', headers, body: ping() });
      assertJsonRpcError(r, 406, -32000, NOT_ACCEPTABLE);
    });
  }

  test('Accept listing both types in another order is fine', async () => {
    const r = await rawPost(gw.url, ping(), mcpHeaders({
      accept: 'text/event-stream, application/json',
    }));
    assert.equal(r.status, 200, r.text);
  });

  for (const [label, ct] of [
    ['text/plain', 'text/plain'],
    ['missing', undefined],
    ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
    ['application/jsonx', 'application/jsonx'],
  ]) {
    test(`Content-Type ${label} → 415`, async () => {
      const headers = { accept: ACCEPT_BOTH };
      if (ct !== undefined) headers['content-type'] = ct;
      const r = await httpRequest(gw.url, { method: 'POST', headers, body: ping() });
      assertJsonRpcError(r, 415, -32000, UNSUPPORTED_MEDIA);
    });
  }

  test('Content-Type with a charset parameter is accepted', async () => {
    const r = await rawPost(gw.url, ping(), mcpHeaders({
      'content-type': 'application/json; charset=utf-8',
    }));
    assert.equal(r.status, 200, r.text);
  });

  test('body over the default 4 MiB limit (Content-Length) → 413', async () => {
    const body = Buffer.alloc(4194304 + 1, 0x20); // spaces: still "JSON-ish"
    const r = await httpRequest(gw.url, {
      method: 'POST',
      headers: mcpHeaders({ 'content-length': String(body.length) }),
      body,
    });
    assertJsonRpcError(r, 413, -32000, /^Payload Too Large/);
  });

  test('body of exactly 4 MiB is not refused for its size', async () => {
    const json = ping();
    const body = Buffer.alloc(4194304, 0x20);
    body.write(json, 0);
    const r = await httpRequest(gw.url, {
      method: 'POST',
      headers: mcpHeaders({ 'content-length': String(body.length) }),
      body,
    });
    assert.equal(r.status, 200, r.text.slice(0, 300));
  });

  for (const [label, body] of [
    ['truncated object', '{"jsonrpc":'],
    ['garbage', 'not json at all'],
    ['empty body', ''],
    ['trailing garbage', '{"jsonrpc":"2.0","id":1,"method":"ping"} x'],
  ]) {
    test(`invalid JSON (${label}) → 400 -32700`, async () => {
      const r = await rawPost(gw.url, body);
      assertJsonRpcError(r, 400, -32700, PARSE_JSON);
    });
  }

  for (const [label, body] of [
    ['{"foo":1}', '{"foo":1}'],
    ['a number', '42'],
    ['a string', '"ping"'],
    ['jsonrpc 1.0', '{"jsonrpc":"1.0","id":1,"method":"ping"}'],
    ['no jsonrpc member', '{"id":1,"method":"ping"}'],
    ['object id', '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}'],
    ['array id', '{"jsonrpc":"2.0","id":[1],"method":"ping"}'],
    ['boolean id', '{"jsonrpc":"2.0","id":true,"method":"ping"}'],
    ['null id on a request', '{"jsonrpc":"2.0","id":null,"method":"ping"}'],
    ['method not a string', '{"jsonrpc":"2.0","id":1,"method":7}'],
  ]) {
    test(`not a JSON-RPC message (${label}) → 400 -32700`, async () => {
      const r = await rawPost(gw.url, body);
      assertJsonRpcError(r, 400, -32700, PARSE_RPC);
    });
  }

  test('MCP-Protocol-Version 1999-01-01 → 400 -32000', async () => {
    const r = await rawPost(gw.url, ping(), mcpHeaders({ 'mcp-protocol-version': '1999-01-01' }));
    assertJsonRpcError(r, 400, -32000, /^Bad Request: Unsupported protocol version: 1999-01-01/);
  });

  for (const v of ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']) {
    test(`MCP-Protocol-Version ${v} is accepted`, async () => {
      const r = await rawPost(gw.url, toolCall('echo', { text: v }),
                              mcpHeaders({ 'mcp-protocol-version': v }));
      assert.equal(r.status, 200, r.text);
    });
  }

  for (const method of ['GET', 'DELETE']) {
    test(`${method} /mcp without a session → 405 with Allow listing POST`, async () => {
      const r = await httpRequest(gw.url, {
        method,
        headers: { accept: ACCEPT_BOTH },
      });
      assertJsonRpcError(r, 405, -32000, 'Method not allowed.');
      assert.match(header(r, 'allow') ?? '', /\bPOST\b/, 'Allow header lists POST');
    });
  }

  test('unknown path → 404 with a JSON error body', async () => {
    const r = await httpRequest(`${gw.base}/no/such/path`, {
      method: 'POST',
      headers: mcpHeaders(),
      body: ping(),
    });
    assert.equal(r.status, 404, r.text);
    assert.match(header(r, 'content-type') ?? '', /^application\/json/);
    const body = JSON.parse(r.text);
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(typeof body.error?.code, 'number');
    assert.equal(typeof body.error?.message, 'string');
    assert.equal(body.id, null);
  });

  test('GET on an unknown path → 404', async () => {
    const r = await httpRequest(`${gw.base}/mcpx`);
    assert.equal(r.status, 404, r.text);
  });
});

describe('--max-body-size 64K', () => {
  let gw;
  const LIMIT = 64 * 1024;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd(), '--max-body-size', '64K']);
  });
  after(() => gw?.kill());

  test('a body just over the limit with Content-Length → 413', async () => {
    const body = Buffer.alloc(LIMIT + 1, 0x20);
    const r = await httpRequest(gw.url, {
      method: 'POST',
      headers: mcpHeaders({ 'content-length': String(body.length) }),
      body,
    });
    assertJsonRpcError(r, 413, -32000, /^Payload Too Large/);
  });

  test('a chunked body over the limit → 413', async () => {
    const chunk = Buffer.alloc(4096, 0x20);
    const chunks = Array.from({ length: LIMIT / 4096 + 2 }, () => chunk);
    const r = await httpRequest(gw.url, {
      method: 'POST',
      headers: mcpHeaders({ 'transfer-encoding': 'chunked' }),
      chunks,
    });
    assertJsonRpcError(r, 413, -32000, /^Payload Too Large/);
  });

  test('a chunked body under the limit is served', async () => {
    const json = JSON.stringify(toolCall('echo', { text: 'chunked' }));
    const chunks = [];
    for (let i = 0; i < json.length; i += 5) chunks.push(json.slice(i, i + 5));
    const r = await httpRequest(gw.url, {
      method: 'POST',
      headers: mcpHeaders({ 'transfer-encoding': 'chunked' }),
      chunks,
    });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /chunked/);
  });

  test('the gateway still serves after refusing big bodies', async () => {
    const r = await rawPost(gw.url, toolCall('echo', { text: 'still here' }));
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /still here/);
  });
});
