// The gateway's limits and timers: SSE keep-alive comments, the request
// timeout, the in-flight cap (single calls and batches), the ready
// timeout while the child is still starting, and the SSE buffer bound.
// Each test ends with a graceful stop(), so that on the ASan build
// LeakSanitizer also runs over these error paths.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  callToolRaw, fixtureCmd, header, killAll, mcpHeaders, messagesOf, rawPost,
  startGateway, textOf, toolCall, waitFor,
} from './lib.mjs';

after(killAll);

const tag = `${process.pid}-${Date.now()}`;

// The exact error body a refused call gets: the caller's id, no data.
const refusedBody = (id, code, message) => ({ jsonrpc: '2.0', error: { code, message }, id });

async function readyzStatus(gw) {
  try {
    const r = await fetch(`${gw.base}/readyz`, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

test('--sse-keepalive 200ms: keep-alive comments precede a slow result', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--sse-keepalive', '200ms'], { t });
  const msg = toolCall('sleep', { ms: 900, text: `ka-${tag}` }, { id: 'ka' });
  const r = await rawPost(gw.url, msg, mcpHeaders(), { timeoutMs: 8000 });
  assert.equal(r.status, 200, r.text);
  assert.match(header(r, 'content-type') ?? '', /^text\/event-stream/);

  const at = r.text.search(/(^|\n)event: ?message\r?\n/);
  assert.ok(at >= 0, `an event: message in ${JSON.stringify(r.text)}`);
  const before = r.text.slice(0, at);
  const keepalives = before.match(/(^|\n): ?keepalive\r?\n/g) ?? [];
  assert.ok(keepalives.length >= 2,
            `at least two ": keepalive" lines before the result, got ${keepalives.length}: ` +
            JSON.stringify(r.text.slice(0, 400)));
  // Nothing but comments before the result.
  for (const line of before.split(/\r?\n/)) {
    assert.ok(line === '' || line.startsWith(':'), `only comments before the result: ${JSON.stringify(line)}`);
  }
  const [m] = messagesOf(r);
  assert.equal(m.id, 'ka');
  assert.equal(textOf(m), `ka-${tag}`);
  assert.deepEqual(await gw.stop(), { code: 0, signal: null });
});

test('--request-timeout 500ms: a slow call gets -32001, the child a cancellation', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--request-timeout', '500ms'], { t });
  const t0 = Date.now();
  const r = await callToolRaw(gw.url, 'sleep', { ms: 3000, text: `timeout-${tag}` },
                              { id: 'slow-1', timeoutMs: 8000 });
  const ms = Date.now() - t0;
  assert.ok(ms < 2000, `answered after ${ms} ms (want ~500, < 2000)`);
  assert.equal(r.res.status, 200, r.res.text);
  assert.ok(r.response, `a response with the caller's id: ${r.res.text}`);
  assert.deepEqual(r.response, refusedBody('slow-1', -32001, 'Request timed out'), r.res.text);

  await gw.waitForLog(/fixture: cancelled/, 3000);
  const e = await callToolRaw(gw.url, 'echo', { text: 'after timeout' });
  assert.equal(textOf(e.response), 'after timeout');
  assert.deepEqual(await gw.stop(), { code: 0, signal: null });
});

test('--max-inflight 2: a third call gets 503 -32000, then calls flow again', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--max-inflight', '2'], { t });
  const sleepers = [1, 2].map((i) =>
    callToolRaw(gw.url, 'sleep', { ms: 1500, text: `cap-${i}-${tag}` }, { timeoutMs: 8000 }));
  for (const i of [1, 2]) await gw.waitForLog(new RegExp(`fixture: sleep .*text=cap-${i}-${tag}`), 5000);

  const over = await rawPost(gw.url, toolCall('echo', { text: 'over' }, { id: 'over-1' }),
                             mcpHeaders(), { timeoutMs: 5000 });
  assert.equal(over.status, 503, over.text);
  assert.match(header(over, 'content-type') ?? '', /^application\/json\b/);
  assert.deepEqual(JSON.parse(over.text),
                   refusedBody('over-1', -32000, 'Too many requests in flight'), over.text);

  const done = await Promise.all(sleepers);
  done.forEach((r, i) => assert.equal(textOf(r.response), `cap-${i + 1}-${tag}`));
  const e = await callToolRaw(gw.url, 'echo', { text: 'under the cap' });
  assert.equal(textOf(e.response), 'under the cap');
  assert.deepEqual(await gw.stop(), { code: 0, signal: null });
});

test('--max-inflight 2: the over-cap element of a batch gets the error in-band', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--max-inflight', '2'], { t });
  const r = await rawPost(gw.url, [
    toolCall('sleep', { ms: 300, text: 'b1' }, { id: 'b1' }),
    toolCall('sleep', { ms: 300, text: 'b2' }, { id: 'b2' }),
    toolCall('echo', { text: 'b3' }, { id: 'b3' }),
  ], mcpHeaders({ 'mcp-protocol-version': '2025-03-26' }), { timeoutMs: 8000 });
  assert.equal(r.status, 200, r.text);
  const msgs = messagesOf(r).flat();
  const byId = new Map(msgs.map((m) => [m.id, m]));
  assert.equal(msgs.length, 3, r.text);
  assert.equal(textOf(byId.get('b1')), 'b1', r.text);
  assert.equal(textOf(byId.get('b2')), 'b2', r.text);
  assert.deepEqual(byId.get('b3'), refusedBody('b3', -32000, 'Too many requests in flight'), r.text);

  // The refused element took no slot: two calls fit again.
  const rs = await Promise.all(['c1', 'c2'].map((x) => callToolRaw(gw.url, 'echo', { text: x })));
  rs.forEach((x, i) => assert.equal(textOf(x.response), `c${i + 1}`));
  assert.deepEqual(await gw.stop(), { code: 0, signal: null });
});

test('--ready-timeout 500ms: a call to a child still starting gets 503 -32000', async (t) => {
  const gw = await startGateway(
    ['--stdio', fixtureCmd({ FIXTURE_INIT_DELAY_MS: 4000 }), '--ready-timeout', '500ms'],
    { t, readyz: false });
  assert.notEqual(await readyzStatus(gw), 200, 'not ready yet');
  const t0 = Date.now();
  const r = await rawPost(gw.url, toolCall('echo', { text: 'early' }, { id: 'early-1' }),
                          mcpHeaders(), { timeoutMs: 8000 });
  const ms = Date.now() - t0;
  assert.ok(ms < 1500, `answered after ${ms} ms (want ~500, < 1500)`);
  assert.equal(r.status, 503, r.text);
  assert.match(header(r, 'content-type') ?? '', /^application\/json\b/);
  assert.deepEqual(JSON.parse(r.text), refusedBody('early-1', -32000, 'MCP server not ready'), r.text);

  await waitFor(async () => (await readyzStatus(gw)) === 200,
                { timeoutMs: 8000, intervalMs: 50, what: '/readyz 200 once initialize is answered' });
  const e = await callToolRaw(gw.url, 'echo', { text: 'ready now' });
  assert.equal(textOf(e.response), 'ready now');
  assert.deepEqual(await gw.stop(), { code: 0, signal: null });
});

test('--max-sse-buffer 64K: one message larger than the bound still arrives whole', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--max-sse-buffer', '64K'], { t });
  const r = await callToolRaw(gw.url, 'huge', { bytes: 300000 }, { id: 'huge-1', timeoutMs: 10000 });
  assert.equal(r.res.status, 200, r.res.text.slice(0, 300));
  assert.match(header(r.res, 'content-type') ?? '', /^text\/event-stream/);
  assert.ok(r.response, `a response: ${r.res.text.slice(0, 300)}`);
  const text = textOf(r.response);
  assert.equal(text.length, 300000);
  assert.ok(/^x+$/.test(text), 'the payload is intact');
  // And the stream still serves the next call.
  const e = await callToolRaw(gw.url, 'echo', { text: 'after huge' });
  assert.equal(textOf(e.response), 'after huge');
  assert.deepEqual(await gw.stop(), { code: 0, signal: null });
});
