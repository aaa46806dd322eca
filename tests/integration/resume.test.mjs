// Resumable streams (2025-11-25) in --stateful sessions: event ids that
// name their stream, the priming event with retry, a POST stream whose
// connection breaks mid-call and is resumed with GET and Last-Event-ID
// (the reply arrives exactly once), the GET stream's own replay, the
// cursors that cannot be resumed, and the SDK client doing all of it
// by itself through a connection that is cut.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';

import {
  connectClient, fixtureCmd, killAll, openGetStream, openSession, parseSse,
  postStream, rawPost, sessionHeaders, sleep, startGateway, textOf, toolCall,
  withTimeout,
} from './lib.mjs';

after(killAll);

const V = '2025-11-25';
const EVENT_ID = /^\d+_\d+$/;

const stateful = (...flags) => ['--stateful', '--sse-retry', '150ms', ...flags,
                                '--stdio', fixtureCmd()];

const events = (s) => parseSse(s.text());
const dataEvents = (s) => events(s).filter((e) => e.data !== '');
const streamOf = (id) => id.split('_')[0];

/** Waits until stream s has at least n events (priming included). */
async function waitEvents(s, n, ms = 5000) {
  const t0 = Date.now();
  while (events(s).length < n) {
    if (s.isEnded()) throw new Error(`stream ended with ${events(s).length} events: ${s.text()}`);
    if (Date.now() - t0 > ms) throw new Error(`no ${n} events in ${ms} ms: ${s.text()}`);
    await sleep(10);
  }
  return events(s);
}

const resumeGet = (gw, sid, cursor) =>
  openGetStream(gw.url, sid, { 'last-event-id': cursor, 'mcp-protocol-version': V });

test('a 2025-11-25 POST stream opens with a priming event (id, retry, no data); every event has an id naming its stream', async (t) => {
  const gw = await startGateway(stateful(), { t });
  const { sid, res } = await openSession(gw.url, { protocolVersion: V });
  // The initialize answer is a stream of its own, primed too.
  const init = parseSse(res.text);
  assert.equal(init[0].data, '', `priming first: ${res.text}`);
  assert.match(init[0].id, EVENT_ID);

  const ids = new Set(init.map((e) => e.id));
  for (const n of [1, 2]) {
    const s = await postStream(gw.url, sid, toolCall('progress', { steps: 2, ms: 5 },
      { meta: { progressToken: `p${n}` } }), { 'mcp-protocol-version': V });
    await withTimeout(s.ended, 5000, 'the tools/call stream');
    const ev = events(s);
    assert.equal(ev[0].data, '', `a priming event first: ${s.text()}`);
    assert.equal(ev[0].retry, '150', 'the retry field says --sse-retry');
    assert.equal(ev.length, 4, `priming, two progress, the reply: ${s.text()}`);
    for (const e of ev) {
      assert.match(String(e.id), EVENT_ID, `every event has an id: ${s.text()}`);
      assert.ok(!ids.has(e.id), `ids are unique in the session: ${e.id}`);
      ids.add(e.id);
    }
    assert.equal(new Set(ev.map((e) => streamOf(e.id))).size, 1, 'one stream, one prefix');
  }
});

test('a client of an older version gets no priming event and no ids on its POST streams', async (t) => {
  const gw = await startGateway(stateful(), { t });
  const { sid } = await openSession(gw.url, { protocolVersion: '2025-06-18' });
  const s = await postStream(gw.url, sid, toolCall('echo', { text: 'old' }),
                             { 'mcp-protocol-version': '2025-06-18' });
  await withTimeout(s.ended, 5000, 'the answer');
  const ev = events(s);
  assert.equal(ev.length, 1, s.text());
  assert.equal(ev[0].id, undefined);
  assert.equal(JSON.parse(ev[0].data).result.content[0].text, 'old');
});

test('a POST stream dropped mid-call is resumed with GET and Last-Event-ID: later events once, the reply once, the call not cancelled', async (t) => {
  const gw = await startGateway(stateful(), { t });
  const { sid } = await openSession(gw.url, { protocolVersion: V });
  const call = toolCall('progress', { steps: 6, ms: 120 }, { meta: { progressToken: 'tok' } });
  const s = await postStream(gw.url, sid, call, { 'mcp-protocol-version': V });
  // Priming plus the first progress notification, then the line breaks.
  const seen = await waitEvents(s, 2);
  const cursor = seen[1].id;
  const first = JSON.parse(seen[1].data);
  assert.equal(first.method, 'notifications/progress');
  await s.close();

  await sleep(300); // the child goes on while nobody is connected
  const r = await resumeGet(gw, sid, cursor);
  assert.equal(r.status, 200);
  await withTimeout(r.ended, 5000, 'the resumed stream to end after the reply');
  const msgs = dataEvents(r).map((e) => JSON.parse(e.data));
  const progress = msgs.filter((m) => m.method === 'notifications/progress').map((m) => m.params.progress);
  const replies = msgs.filter((m) => m.id === call.id);
  assert.equal(replies.length, 1, `the reply exactly once: ${r.text()}`);
  assert.ok(replies[0].result, `a result, not a cancellation: ${r.text()}`);
  assert.ok(!progress.includes(first.params.progress), 'nothing up to the cursor again');
  assert.equal(progress.length + 1, 6, `every later progress step once: ${progress}`);
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'in order');
  for (const e of dataEvents(r))
    assert.equal(streamOf(e.id), streamOf(cursor), 'only that stream\'s events');

  // The stream is finished: resuming again from the cursor replays the
  // same events and ends at once; the reply is still there exactly once.
  const again = await resumeGet(gw, sid, cursor);
  await withTimeout(again.ended, 5000, 'a finished stream to end');
  assert.equal(dataEvents(again).filter((e) => JSON.parse(e.data).id === call.id).length, 1);
});

test('the GET stream replays only its own events after the cursor; held messages follow', async (t) => {
  const gw = await startGateway(stateful(), { t });
  const { sid } = await openSession(gw.url, { protocolVersion: V });
  const g = await openGetStream(gw.url, sid, { 'mcp-protocol-version': V });
  assert.equal(g.status, 200);
  const post = async (msg) => {
    const s = await postStream(gw.url, sid, msg, { 'mcp-protocol-version': V });
    await withTimeout(s.ended, 5000, 'a POST answer');
    return s;
  };
  await post(toolCall('notify_later', { text: 'g', ms: 10, count: 3 }));
  const ev = await waitEvents(g, 4); // priming + three notifications
  assert.equal(ev[0].data, '');
  assert.ok(ev.every((e) => streamOf(e.id) === '0'), `the GET stream is stream 0: ${g.text()}`);
  await g.close();
  await sleep(100);
  // Sent while no GET stream is open: held for the next one.
  await post(toolCall('notify_later', { text: 'held', ms: 10 }));
  await sleep(200);

  // After 'g 1': the rest of what the lost connection was sent, then
  // what was held, and the stream stays open for more.
  const r = await resumeGet(gw, sid, ev[1].id);
  assert.equal(JSON.parse(ev[1].data).params.data, 'g 1');
  const got = await waitEvents(r, 3);
  await sleep(100);
  const texts = events(r).map((e) => JSON.parse(e.data).params.data);
  assert.deepEqual(texts, ['g 2', 'g 3', 'held']);
  assert.ok(got.every((e) => streamOf(e.id) === '0'));
  assert.ok(!r.isEnded(), 'the GET stream goes on');
  await r.close();
});

test('cursors that cannot be resumed: malformed or unknown 400, a connected stream 409, too old 400; the session goes on', async (t) => {
  const gw = await startGateway(stateful('--resume-events', '2'), { t });
  const { sid } = await openSession(gw.url, { protocolVersion: V });
  for (const bad of ['junk', '1_', '_1', '01_1', '1_-1', '99_1', '1_99999999999999999999999']) {
    const r = await resumeGet(gw, sid, bad);
    assert.equal(r.status, 400, `Last-Event-ID ${bad}`);
    const body = JSON.parse(await r.ended.then(() => r.text()));
    assert.equal(body.error.code, -32000);
  }
  // A live stream with its own connection: 409.
  const s = await postStream(gw.url, sid, toolCall('progress', { steps: 5, ms: 100 },
    { meta: { progressToken: 'x' } }), { 'mcp-protocol-version': V });
  const ev = await waitEvents(s, 2);
  const busy = await resumeGet(gw, sid, ev[0].id);
  assert.equal(busy.status, 409);
  await busy.ended;
  // Only two events are kept: after five more, the priming cursor is too old.
  await withTimeout(s.ended, 5000, 'the call');
  const old = await resumeGet(gw, sid, ev[0].id);
  assert.equal(old.status, 400);
  assert.match(await old.ended.then(() => old.text()), /no longer available/);
  // The session is unharmed.
  const ok = await rawPost(gw.url, toolCall('echo', { text: 'still here' }),
                           sessionHeaders(sid, { 'mcp-protocol-version': V }));
  assert.equal(ok.status, 200);
  assert.match(ok.text, /still here/);
});

test('a session ended while a call\'s stream is detached or resumed: the resumed GET ends, the gateway goes on', async (t) => {
  const gw = await startGateway(stateful(), { t });
  const { sid } = await openSession(gw.url, { protocolVersion: V });
  const slow = (ms) => postStream(gw.url, sid, toolCall('sleep', { ms }), { 'mcp-protocol-version': V });
  // One stream left detached, one resumed on a GET.
  const a = await slow(3000);
  const b = await slow(3000);
  const cursorB = (await waitEvents(b, 1))[0].id;
  await waitEvents(a, 1);
  await a.close();
  await b.close();
  await sleep(200); // as a client waits the retry: the gateway sees the drop
  const r = await resumeGet(gw, sid, cursorB);
  assert.equal(r.status, 200);
  const del = await fetch(gw.url, { method: 'DELETE', headers: sessionHeaders(sid) });
  assert.equal(del.status, 200);
  await withTimeout(r.ended, 3000, 'the resumed GET to end with its session');
  const gone = await rawPost(gw.url, toolCall('echo', { text: 'x' }), sessionHeaders(sid));
  assert.equal(gone.status, 404);
  const fresh = await openSession(gw.url, { protocolVersion: V });
  const ok = await rawPost(gw.url, toolCall('echo', { text: 'fresh' }),
                           sessionHeaders(fresh.sid, { 'mcp-protocol-version': V }));
  assert.match(ok.text, /fresh/);
});

/**
 * A TCP proxy in front of the gateway that cuts the connection carrying
 * the first tools/call for `tool` as soon as its priming event has
 * passed, as a flaky network would. Returns { url, cuts, close }.
 */
async function cuttingProxy(target, tool) {
  const state = { cuts: 0, armed: true };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, '127.0.0.1');
    let marked = false;
    client.on('data', (d) => {
      if (state.armed && d.toString().includes(`"name":"${tool}"`)) {
        marked = true;
        state.armed = false;
      }
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      client.write(d);
      if (marked && d.toString().includes('retry:')) {
        state.cuts++;
        setTimeout(() => {
          client.destroy();
          upstream.destroy();
        }, 20);
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    cuts: () => state.cuts,
    close: () => new Promise((r) => server.close(r)),
  };
}

test('the SDK client resumes by itself through a connection cut mid-call, and gets its result once', async (t) => {
  const gw = await startGateway(stateful(), { t });
  const proxy = await cuttingProxy(new URL(gw.url), 'sleep');
  t.after(proxy.close);
  const client = await connectClient(proxy.url);
  t.after(() => client.close());
  const result = await withTimeout(
    client.callTool({ name: 'sleep', arguments: { ms: 600, text: 'after the cut' } }),
    10000, 'the call across the cut');
  assert.equal(proxy.cuts(), 1, 'the proxy did cut the call\'s connection');
  assert.equal(textOf({ result }), 'after the cut');
  // Later calls work as before.
  const echo = await client.callTool({ name: 'echo', arguments: { text: 'next' } });
  assert.equal(textOf({ result: echo }), 'next');
});
