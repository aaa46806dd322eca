// DNS-rebinding protection: Host and Origin checks when bound to loopback,
// and --allowed-hosts. node:http is used because fetch cannot set Host.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  assertJsonRpcError, fixtureCmd, httpRequest, killAll, mcpHeaders, rpc,
  startGateway,
} from './lib.mjs';

after(killAll);

const post = (gw, headers) => httpRequest(gw.url, {
  method: 'POST',
  headers: mcpHeaders(headers),
  body: JSON.stringify(rpc('ping')),
});

describe('bound to 127.0.0.1', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd()]);
  });
  after(() => gw?.kill());

  test('Host: evil.example.com → 403 Invalid Host header', async () => {
    const r = await post(gw, { host: 'evil.example.com' });
    assertJsonRpcError(r, 403, -32000, /^Invalid Host header/);
  });

  test('Host: evil.example.com:PORT → 403', async () => {
    const r = await post(gw, { host: `evil.example.com:${gw.port}` });
    assertJsonRpcError(r, 403, -32000, /^Invalid Host header/);
  });

  test('Origin: http://evil.example.com → 403 Invalid Origin header', async () => {
    const r = await post(gw, { origin: 'http://evil.example.com' });
    assertJsonRpcError(r, 403, -32000, /^Invalid Origin header/);
  });

  test('Origin: null → 403', async () => {
    const r = await post(gw, { origin: 'null' });
    assertJsonRpcError(r, 403, -32000, /^Invalid Origin header/);
  });

  test('evil Host and evil Origin together → 403', async () => {
    const r = await post(gw, { host: 'evil.example.com', origin: 'http://evil.example.com' });
    assert.equal(r.status, 403, r.text);
  });

  for (const host of ['127.0.0.1:PORT', 'localhost:PORT', 'localhost', '[::1]:PORT', 'LOCALHOST:PORT']) {
    test(`Host: ${host} → 200`, async () => {
      const r = await post(gw, { host: host.replace('PORT', gw.port) });
      assert.equal(r.status, 200, r.text);
    });
  }

  test('Host localhost:PORT with Origin http://localhost:PORT → 200', async () => {
    const r = await post(gw, {
      host: `localhost:${gw.port}`,
      origin: `http://localhost:${gw.port}`,
    });
    assert.equal(r.status, 200, r.text);
  });

  test('Origin http://127.0.0.1:PORT → 200', async () => {
    const r = await post(gw, { origin: `http://127.0.0.1:${gw.port}` });
    assert.equal(r.status, 200, r.text);
  });

  test('Host mcp.example.com is refused without --allowed-hosts', async () => {
    const r = await post(gw, { host: 'mcp.example.com' });
    assert.equal(r.status, 403, r.text);
  });
});

describe('--allowed-hosts mcp.example.com', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd(), '--allowed-hosts', 'mcp.example.com']);
  });
  after(() => gw?.kill());

  test('Host: mcp.example.com → 200', async () => {
    const r = await post(gw, { host: 'mcp.example.com' });
    assert.equal(r.status, 200, r.text);
  });

  test('Host: MCP.Example.COM → 200 (names compare case-insensitively)', async () => {
    const r = await post(gw, { host: 'MCP.Example.COM' });
    assert.equal(r.status, 200, r.text);
  });

  test('Host: evil.example.com is still refused', async () => {
    const r = await post(gw, { host: 'evil.example.com' });
    assertJsonRpcError(r, 403, -32000, /^Invalid Host header/);
  });
});
