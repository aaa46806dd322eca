// JSON-RPC batches: accepted only for 2025-03-26 clients (the version
// header says so, or is absent); refused for later versions, when empty,
// and when initialize shares the batch.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  assertJsonRpcError, fixtureCmd, header, killAll, mcpHeaders, messagesOf,
  rawPost, rpc, startGateway, toolCall,
} from './lib.mjs';

after(killAll);

describe('batches', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd()]);
  });
  after(() => gw?.kill());

  const batch = () => [
    toolCall('echo', { text: 'first' }, { id: 1 }),
    toolCall('echo', { text: 'second' }, { id: 'two' }),
  ];

  for (const [label, extra] of [
    ['MCP-Protocol-Version 2025-03-26', { 'mcp-protocol-version': '2025-03-26' }],
    ['no version header', {}],
  ]) {
    test(`a batch of two calls with ${label} → 200 SSE with both responses`, async () => {
      const r = await rawPost(gw.url, batch(), mcpHeaders(extra));
      assert.equal(r.status, 200, r.text);
      assert.match(header(r, 'content-type') ?? '', /^text\/event-stream/);
      const msgs = messagesOf(r);
      const byId = new Map(msgs.map((m) => [m.id, m]));
      assert.equal(byId.get(1)?.result?.content?.[0]?.text, 'first', r.text);
      assert.equal(byId.get('two')?.result?.content?.[0]?.text, 'second', r.text);
      assert.equal(msgs.filter((m) => 'result' in m || 'error' in m).length, 2, r.text);
      // The ids are the caller's, literally.
      assert.match(r.text, /"id"\s*:\s*1\s*[,}]/);
      assert.match(r.text, /"id"\s*:\s*"two"/);
    });
  }

  test('a batch of a call and a notification → 200 with the one response', async () => {
    const r = await rawPost(gw.url, [
      toolCall('echo', { text: 'with-note' }, { id: 7 }),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
    ], mcpHeaders({ 'mcp-protocol-version': '2025-03-26' }));
    assert.equal(r.status, 200, r.text);
    const msgs = messagesOf(r);
    assert.equal(msgs.length, 1, r.text);
    assert.equal(msgs[0].id, 7);
    assert.equal(msgs[0].result.content[0].text, 'with-note');
  });

  for (const v of ['2025-06-18', '2025-11-25']) {
    test(`a batch with MCP-Protocol-Version ${v} → 400 -32600`, async () => {
      const r = await rawPost(gw.url, batch(), mcpHeaders({ 'mcp-protocol-version': v }));
      assertJsonRpcError(r, 400, -32600);
    });
  }

  test('an empty batch → 400 -32600', async () => {
    const r = await rawPost(gw.url, '[]', mcpHeaders({ 'mcp-protocol-version': '2025-03-26' }));
    assertJsonRpcError(r, 400, -32600);
  });

  test('an empty batch without a version header → 400 -32600', async () => {
    const r = await rawPost(gw.url, '[]');
    assertJsonRpcError(r, 400, -32600);
  });

  test('a batch with initialize and another message → 400 -32600', async () => {
    const r = await rawPost(gw.url, [
      rpc('initialize', {
        protocolVersion: '2025-03-26',
        capabilities: {},
        clientInfo: { name: 't', version: '1' },
      }, 1),
      rpc('ping', undefined, 2),
    ], mcpHeaders({ 'mcp-protocol-version': '2025-03-26' }));
    assertJsonRpcError(r, 400, -32600);
  });

  test('a batch with an invalid element → 400 -32700', async () => {
    const r = await rawPost(gw.url, [rpc('ping', undefined, 1), { foo: 1 }],
                            mcpHeaders({ 'mcp-protocol-version': '2025-03-26' }));
    assertJsonRpcError(r, 400, -32700, 'Parse error: Invalid JSON-RPC message');
  });
});
