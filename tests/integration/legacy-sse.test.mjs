// The legacy HTTP+SSE transport (2024-11-05): GET /sse sends the endpoint
// event, POST /message?sessionId= answers 202 and the reply goes out on
// that client's stream only. Bad posts are answered without ending the
// stream; the SDK's SSEClientTransport, two clients at once, each get only
// their own replies (Supergateway gives every reply to every client), in
// the shared mode and with --stateful; a client that reconnects goes on.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';

import {
  fixtureCmd, httpRequest, killAll, openStream, parseSse, startGateway, textOf, toolCall,
  withTimeout,
} from './lib.mjs';

after(killAll);

const SESSION = /^[\x21-\x7e]{32,}$/;

/** Opens GET /sse; resolves with the stream and its endpoint's URL. */
async function openLegacy(gw, path = '/sse') {
  const s = await openStream(`${gw.base}${path}`, { headers: { accept: 'text/event-stream' } });
  assert.equal(s.status, 200);
  const t0 = Date.now();
  let ev;
  while (!(ev = parseSse(s.text()).find((e) => e.event === 'endpoint'))) {
    if (Date.now() - t0 > 5000) throw new Error(`no endpoint event: ${s.text()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return { s, endpoint: ev.data, url: new URL(ev.data, gw.base).href };
}

const post = (url, body, headers = { 'content-type': 'application/json' }) =>
  httpRequest(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

const messagesOn = (s) => parseSse(s.text()).filter((e) => e.event === 'message').map((e) => JSON.parse(e.data));

async function nextOn(s, pred, what) {
  const t0 = Date.now();
  for (;;) {
    const m = messagesOn(s).find(pred);
    if (m) return m;
    if (Date.now() - t0 > 5000) throw new Error(`no ${what}: ${s.text().slice(0, 800)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('GET /sse sends the endpoint with a session id; a POST there is 202 and its reply comes on that stream only', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const a = await openLegacy(gw);
  const b = await openLegacy(gw);
  t.after(() => Promise.all([a.s.close(), b.s.close()]));
  const [, idA] = /^\/message\?sessionId=(.+)$/.exec(a.endpoint) ?? [];
  assert.match(idA ?? '', SESSION, a.endpoint);
  assert.notEqual(a.endpoint, b.endpoint);

  const call = toolCall('echo', { text: 'for a' });
  const r = await post(a.url, call);
  assert.equal(r.status, 202, r.text);
  const reply = await nextOn(a.s, (m) => m.id === call.id, 'the reply on a');
  assert.equal(textOf(reply), 'for a');
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(messagesOn(b.s).length, 0, 'nothing on the other client\'s stream');
});

test('--baseUrl, --ssePath and --messagePath shape the endpoint; --outputTransport picks one transport', async (t) => {
  const gw = await startGateway(['--baseUrl', 'http://example.com:9999/pfx', '--ssePath', '/events',
                                 '--messagePath', '/post', '--stdio', fixtureCmd()], { t });
  const a = await openLegacy(gw, '/events');
  t.after(() => a.s.close());
  assert.match(a.endpoint, /^\/pfx\/post\?sessionId=/, 'only the path of --baseUrl, as the SDK does');
  assert.equal((await httpRequest(`${gw.base}/sse`, { headers: { accept: 'text/event-stream' } })).status, 404);

  const only = await startGateway(['--outputTransport', 'streamableHttp', '--stdio', fixtureCmd()], { t });
  assert.equal((await httpRequest(`${only.base}/sse`, { headers: { accept: 'text/event-stream' } })).status, 404);
  const sse = await startGateway(['--outputTransport', 'sse', '--stdio', fixtureCmd()], { t });
  const mcp = await httpRequest(`${sse.base}/mcp`, {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify(toolCall('echo', { text: 'x' })),
  });
  assert.equal(mcp.status, 404);
});

test('bad posts are answered (400, 404, 413, 415) and the client\'s stream goes on', async (t) => {
  const gw = await startGateway(['--max-body-size', '4K', '--stdio', fixtureCmd()], { t });
  const a = await openLegacy(gw);
  t.after(() => a.s.close());
  const base = `${gw.base}/message`;
  const cases = [
    [a.url, '{not json', 400, -32700],
    [a.url, JSON.stringify({ jsonrpc: '2.0' }), 400, -32700],
    [a.url, JSON.stringify(toolCall('echo', { text: 'x'.repeat(8192) })), 413, null],
    [base, JSON.stringify(toolCall('echo', { text: 'x' })), 400, -32000],
    [`${base}?sessionId=${'f'.repeat(32)}`, JSON.stringify(toolCall('echo', { text: 'x' })), 404, -32001],
  ];
  for (const [url, body, status, code] of cases) {
    const r = await post(url, body);
    assert.equal(r.status, status, `${url} ${body.slice(0, 40)}: ${r.status} ${r.text}`);
    if (code !== null) assert.equal(JSON.parse(r.text).error.code, code, r.text);
  }
  const wrongType = await post(a.url, JSON.stringify(toolCall('echo', { text: 'x' })), { 'content-type': 'text/plain' });
  assert.equal(wrongType.status, 415);

  const call = toolCall('echo', { text: 'still here' });
  assert.equal((await post(a.url, call)).status, 202);
  assert.equal(textOf(await nextOn(a.s, (m) => m.id === call.id, 'the reply after the bad posts')), 'still here');
  assert.equal(a.s.isEnded(), false, 'the stream is still open');
});

async function sseClient(gw, name) {
  const transport = new SSEClientTransport(new URL(`${gw.base}/sse`));
  const client = new Client({ name, version: '1.0.0' }, { capabilities: {} });
  await withTimeout(client.connect(transport), 15000, `${name} connect`);
  return client;
}

for (const mode of ['shared', 'stateful']) {
  test(`SDK SSEClientTransport (${mode}): two clients at once each get only their own replies; a client that reconnects goes on`, async (t) => {
    const gw = await startGateway([...(mode === 'stateful' ? ['--stateful'] : []), '--stdio', fixtureCmd()], { t });
    const a = await sseClient(gw, 'a');
    const b = await sseClient(gw, 'b');
    t.after(() => Promise.all([a.close(), b.close()]));
    // Interleaved calls with the same JSON-RPC ids on both clients.
    const calls = [];
    for (let i = 0; i < 20; i++) {
      calls.push(a.callTool({ name: 'echo', arguments: { text: `a-${i}` } }).then((r) => ['a', i, r]));
      calls.push(b.callTool({ name: 'echo', arguments: { text: `b-${i}` } }).then((r) => ['b', i, r]));
    }
    for (const [who, i, r] of await withTimeout(Promise.all(calls), 20000, 'forty calls')) {
      assert.equal(textOf({ result: r }), `${who}-${i}`, `${who}'s call ${i} got its own reply`);
    }

    await a.close();
    const again = await sseClient(gw, 'a-again');
    t.after(() => again.close());
    const r = await again.callTool({ name: 'echo', arguments: { text: 'after the reconnect' } });
    assert.equal(textOf({ result: r }), 'after the reconnect');
    const still = await b.callTool({ name: 'echo', arguments: { text: 'b goes on' } });
    assert.equal(textOf({ result: still }), 'b goes on');
  });
}
