// POST /mcp on the shared child: 202 for notifications and responses,
// SSE (default) or JSON (--json-response) for requests, initialize
// answered by the gateway with the negotiated version and no session.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  fixtureCmd, header, killAll, mcpHeaders, messagesOf, parseSse, rawPost, rpc,
  startGateway, toolCall,
} from './lib.mjs';

after(killAll);

const initialize = (protocolVersion, id = 1) => rpc('initialize', {
  protocolVersion,
  capabilities: {},
  clientInfo: { name: 'mcpgw-it', version: '1.0.0' },
}, id);

describe('POST /mcp, SSE responses (default)', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd()]);
  });
  after(() => gw?.kill());

  test('a notification only → 202 with an empty body', async () => {
    const r = await rawPost(gw.url, { jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.text, '');
  });

  test('a JSON-RPC response only → 202 with an empty body', async () => {
    const r = await rawPost(gw.url, { jsonrpc: '2.0', id: 5, result: {} });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.text, '');
  });

  test('a JSON-RPC error response only → 202', async () => {
    const r = await rawPost(gw.url, {
      jsonrpc: '2.0', id: 6, error: { code: -32601, message: 'nope' },
    });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.text, '');
  });

  test('a request → 200 SSE, one message event, then the stream ends', async () => {
    const msg = toolCall('echo', { text: 'hello sse' }, { id: 42 });
    // rawPost resolves only once the body has ended (15 s budget).
    const r = await rawPost(gw.url, msg, mcpHeaders(), { timeoutMs: 5000 });
    assert.equal(r.status, 200, r.text);
    assert.match(header(r, 'content-type') ?? '', /^text\/event-stream/);
    assert.match(header(r, 'cache-control') ?? '', /no-cache/);
    assert.equal(header(r, 'x-accel-buffering'), 'no');
    assert.equal(header(r, 'mcp-session-id'), null);
    const events = parseSse(r.text).filter((e) => e.data !== '');
    assert.equal(events.length, 1, r.text);
    assert.equal(events[0].event, 'message', r.text);
    assert.match(r.text, /(^|\n)event: ?message\r?\n/);
    assert.match(r.text, /(^|\n)data: ?\{/);
    assert.match(r.text, /\n\n$/, 'the last event is terminated');
    const m = JSON.parse(events[0].data);
    assert.deepEqual(m, {
      jsonrpc: '2.0', id: 42, result: { content: [{ type: 'text', text: 'hello sse' }] },
    });
  });

  test('ping → {}', async () => {
    const r = await rawPost(gw.url, rpc('ping', undefined, 'p1'));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(messagesOf(r), [{ jsonrpc: '2.0', id: 'p1', result: {} }]);
  });

  test('tools/list passes through', async () => {
    const r = await rawPost(gw.url, rpc('tools/list', {}, 3));
    const [m] = messagesOf(r);
    assert.ok(m.result.tools.some((t) => t.name === 'echo'), r.text);
  });

  test('an unknown method → the child\'s -32601', async () => {
    const r = await rawPost(gw.url, rpc('no/such/method', {}, 4));
    assert.equal(r.status, 200, r.text);
    const [m] = messagesOf(r);
    assert.equal(m.id, 4);
    assert.equal(m.error?.code, -32601, r.text);
  });

  test('an unknown tool → the child\'s -32602', async () => {
    const r = await rawPost(gw.url, toolCall('no_such_tool', {}, { id: 5 }));
    const [m] = messagesOf(r);
    assert.equal(m.id, 5);
    assert.equal(m.error?.code, -32602, r.text);
  });

  for (const [asked, expected] of [
    ['2025-03-26', '2025-03-26'],
    ['2025-06-18', '2025-06-18'],
    ['2025-11-25', '2025-11-25'],
    ['2030-01-01', '2025-11-25'],
  ]) {
    test(`initialize asking ${asked} → protocolVersion ${expected}, and a session id`, async () => {
      const r = await rawPost(gw.url, initialize(asked, `init-${asked}`));
      assert.equal(r.status, 200, r.text);
      // A shared session: no child of its own, a scope for resuming.
      assert.match(header(r, 'mcp-session-id') ?? '', /^[\x21-\x7e]{32,}$/);
      const msgs = messagesOf(r);
      const m = msgs.find((x) => x.id === `init-${asked}`);
      assert.ok(m?.result, r.text);
      assert.equal(m.result.protocolVersion, expected);
      assert.equal(m.result.serverInfo?.name, 'mcpgw-fixture');
      assert.ok(m.result.capabilities?.tools, 'the child\'s capabilities');
    });
  }

  test('initialize, initialized, call: the whole handshake over raw POSTs', async () => {
    const a = await rawPost(gw.url, initialize('2025-06-18', 10));
    assert.equal(a.status, 200, a.text);
    const b = await rawPost(gw.url, { jsonrpc: '2.0', method: 'notifications/initialized' },
                            mcpHeaders({ 'mcp-protocol-version': '2025-06-18' }));
    assert.equal(b.status, 202, b.text);
    const c = await rawPost(gw.url, toolCall('echo', { text: 'hs' }, { id: 11 }),
                            mcpHeaders({ 'mcp-protocol-version': '2025-06-18' }));
    assert.equal(messagesOf(c)[0].result.content[0].text, 'hs');
  });
});

describe('POST /mcp with --json-response', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd(), '--json-response']);
  });
  after(() => gw?.kill());

  test('a request → 200 application/json with the single response object', async () => {
    const r = await rawPost(gw.url, toolCall('echo', { text: 'hello json' }, { id: 43 }));
    assert.equal(r.status, 200, r.text);
    assert.match(header(r, 'content-type') ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(r.text), {
      jsonrpc: '2.0', id: 43, result: { content: [{ type: 'text', text: 'hello json' }] },
    });
  });

  test('a notification → 202 empty', async () => {
    const r = await rawPost(gw.url, { jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.text, '');
  });

  test('initialize → JSON InitializeResult', async () => {
    const r = await rawPost(gw.url, initialize('2025-06-18', 'i'));
    assert.equal(r.status, 200, r.text);
    assert.match(header(r, 'content-type') ?? '', /^application\/json/);
    const m = JSON.parse(r.text);
    assert.equal(m.id, 'i');
    assert.equal(m.result.protocolVersion, '2025-06-18');
    assert.equal(m.result.serverInfo.name, 'mcpgw-fixture');
  });
});
