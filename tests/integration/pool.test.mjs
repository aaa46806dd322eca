// Server→client traffic on shared children (no --stateful), with raw HTTP
// against the fixture: a server request made during the only call that
// holds its child reaches that call's stream under an id of the
// gateway's, and the client's answer (202) goes back under the child's
// own id; logging during a call goes to that call's stream; when the
// child cannot be told which call asked (several in flight, none, a JSON
// body, a client that declared no such capability) nobody gets it and the
// child gets an error; a request the child gives up is cancelled for its
// client too; --pool 2 gives two asking calls a child each.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  fixtureCmd, killAll, mcpHeaders, messagesOf, openSession, openStream, parseSse, postStream,
  rawPost, sessionHeaders, startGateway, textOf, toolCall, waitFor, withTimeout,
  keepStreams,
} from './lib.mjs';

const streams = keepStreams;

after(killAll);

const shared = (...flags) => ['--stdio', fixtureCmd(), ...flags];

let uniq = 0;
const tagOf = (what) => `${what}-${process.pid}-${Date.now().toString(36)}-${++uniq}`;

// The id the gateway gives a server request: a quoted random string.
const GATEWAY_ID = /^mcpgw-[0-9a-f]{32}$/;

const isAsk = (m) => m.method === 'sampling/createMessage';
const isResult = (req) => (m) => m.id === req.id && ('result' in m || 'error' in m);
const isLog = (text) => (m) => m.method === 'notifications/message' && m.params?.data === text;

const answerTo = (id, tag) => ({
  jsonrpc: '2.0',
  id,
  result: { role: 'assistant', content: { type: 'text', text: `answer for ${tag}` }, model: 'stub', stopReason: 'endTurn' },
});


/** POSTs a tools/call without a session; the open answer stream, and the request. */
async function startCall(gw, keep, name, args) {
  const req = toolCall(name, args);
  const s = keep(await postStream(gw.url, null, req));
  assert.equal(s.status, 200, s.text());
  return { req, s };
}

/** The fixture's ask_sampling result: the child's view of the client's answer. */
async function askResult(call, what) {
  const final = await call.s.next(isResult(call.req), 8000, what);
  return JSON.parse(textOf(final));
}

test('a sampling request during a lone call reaches its stream under a gateway id; the answer (202) reaches the child under its own id', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(shared(), { t });
  const tag = tagOf('lone');
  const call = await startCall(gw, keep, 'ask_sampling', { tag });

  const ask = await call.s.next(isAsk, 5000, 'sampling/createMessage on the call\'s stream');
  assert.match(String(ask.id), GATEWAY_ID, `not the child's id "s1": ${JSON.stringify(ask)}`);
  assert.equal(ask.params.messages[0].content.text, tag);
  assert.equal(call.s.isEnded(), false, 'the call is still in flight');

  const r = await rawPost(gw.url, answerTo(ask.id, tag));
  assert.equal(r.status, 202, r.text);
  assert.equal(r.text, '');
  assert.deepEqual(await askResult(call, 'the ask_sampling result'), answerTo('s1', tag),
                   'the child got the client\'s answer with its own id back');
  await withTimeout(call.s.ended, 3000, 'the stream to end');

  // The same answer again, and one under the child's own id: 202, dropped.
  for (const id of [ask.id, 's1']) {
    const again = await rawPost(gw.url, answerTo(id, tag));
    assert.equal(again.status, 202, again.text);
  }
  // The log escapes quotes as \x22.
  await gw.waitForLog(/dropped a client's response to no waiting server request \(id \\x22s1\\x22\)/, 3000);
  assert.match(gw.log(), new RegExp(`no waiting server request \\(id \\\\x22${ask.id}\\\\x22\\)`));
});

test('--pool 1, two asking calls at once: the second one\'s request goes to nobody, its server gets an error, and that is logged', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(shared(), { t });
  const [ta, tb] = [tagOf('A'), tagOf('B')];
  const a = await startCall(gw, keep, 'ask_sampling', { tag: ta });
  const askA = await a.s.next(isAsk, 5000, 'A\'s sampling request');

  // B's call holds the same child while A's is in flight: the child's
  // request cannot be told to be B's rather than A's.
  const b = await startCall(gw, keep, 'ask_sampling', { tag: tb, id: 's2' });
  const got = await askResult(b, 'B\'s ask_sampling result');
  assert.equal(got.id, 's2', JSON.stringify(got));
  assert.equal(got.error?.code, -32601, JSON.stringify(got));
  assert.match(got.error.message, /several calls are in flight.*--pool/, got.error.message);
  await gw.waitForLog(/refused server request sampling\/createMessage: several calls are in flight/, 3000);

  const r = await rawPost(gw.url, answerTo(askA.id, ta));
  assert.equal(r.status, 202, r.text);
  assert.deepEqual(await askResult(a, 'A\'s ask_sampling result'), answerTo('s1', ta));
  await Promise.all([a.s.ended, b.s.ended]);
  assert.equal(b.s.messages().filter(isAsk).length, 0, `nothing asked on B's stream: ${b.s.text()}`);
  assert.equal(a.s.text().includes(tb), false, `nothing of B's on A's stream: ${a.s.text()}`);
  assert.equal(b.s.text().includes(ta), false, `nothing of A's on B's stream: ${b.s.text()}`);
});

test('--pool 2: two asking calls at once get a child each, and each its own request and answer', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(shared('--pool', '2'), { t });
  // Ready is one child ready; a holding call prefers a ready child.
  await waitFor(() => (gw.log().match(/ready server=/g) ?? []).length === 2, { what: 'both children ready' });
  const calls = [];
  for (const name of ['A', 'B']) {
    const tag = tagOf(name);
    const c = await startCall(gw, keep, 'ask_sampling', { tag });
    c.tag = tag;
    c.ask = await c.s.next(isAsk, 5000, `${name}'s sampling request`);
    assert.equal(c.ask.params.messages[0].content.text, tag, `${name} got its own request`);
    calls.push(c);
  }
  assert.notEqual(calls[0].ask.id, calls[1].ask.id, 'distinct gateway ids (both children said "s1")');
  // Answered in the other order.
  for (const c of [calls[1], calls[0]]) {
    const r = await rawPost(gw.url, answerTo(c.ask.id, c.tag));
    assert.equal(r.status, 202, r.text);
  }
  for (const c of calls) {
    assert.deepEqual(await askResult(c, 'an ask_sampling result'), answerTo('s1', c.tag));
    assert.equal(c.s.messages().filter(isAsk).length, 1, c.s.text());
  }
  await gw.stop();
  assert.match(gw.log(), /children=2 calls=\d+ .*asked=2 /);
});

test('logging during a lone call goes to its stream; during two calls, or after the call, to nobody', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(shared(), { t });
  const lone = tagOf('lone');
  const one = await rawPost(gw.url, toolCall('notify', { text: lone }));
  assert.equal(one.status, 200, one.text);
  const msgs = messagesOf(one);
  assert.equal(msgs.filter(isLog(lone)).length, 1, `the log message on the call's stream: ${one.text}`);
  assert.ok(msgs.findIndex(isLog(lone)) < msgs.findIndex((m) => 'result' in m), 'before the result');

  // A slow call holds the child: a log during another call is not given
  // to either of them.
  // Its answer stream starts with its first event: not awaited here.
  const slowReq = toolCall('sleep', { ms: 1500, text: 'slow done' });
  const slowP = postStream(gw.url, null, slowReq).then(keep);
  await gw.waitForLog(/sleep id=.* ms=1500/, 3000);
  const both = tagOf('both');
  const two = await rawPost(gw.url, toolCall('notify', { text: both }));
  assert.equal(textOf(messagesOf(two).find((m) => 'result' in m)), 'notified');
  assert.equal(two.text.includes(both), false, `not on the notifying call's stream: ${two.text}`);
  const slow = await slowP;
  await slow.next(isResult(slowReq), 5000, 'the slow result');
  assert.equal(slow.text().includes(both), false, `not on the other call's stream: ${slow.text()}`);

  const late = tagOf('late');
  const sched = await rawPost(gw.url, toolCall('notify_later', { text: late, ms: 50 }));
  assert.equal(textOf(messagesOf(sched).find((m) => 'result' in m)), 'scheduled');
  await gw.waitForLog(new RegExp(`notify_later sent text=${late}`), 3000);
  await gw.stop();
  assert.match(gw.log(), /unrouted=2 asked=1 /, 'two dropped, one delivered');
});

test('a call that ends with its request unanswered: the child is told at once (no wait for ever), a late answer is dropped', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(shared(), { t });
  const tag = tagOf('gone');
  const call = await startCall(gw, keep, 'ask_sampling', { tag, timeoutMs: 20000 });
  const ask = await call.s.next(isAsk, 5000, 'the sampling request');
  await call.s.close();
  // The fixture logs the error the gateway answered for the client.
  await gw.waitForLog(/response from the client id=\\x22s1\\x22 awaited/, 3000);
  await gw.waitForLog(/cancelled \d+/, 3000);
  const r = await rawPost(gw.url, answerTo(ask.id, tag));
  assert.equal(r.status, 202, r.text);
  await gw.waitForLog(/dropped a client's response to no waiting server request/, 3000);
  assert.equal((gw.log().match(/response from the client id=\\x22s1\\x22/g) ?? []).length, 1,
               'the late answer did not reach the child');
});

test('the child gives up its request: the client gets notifications/cancelled under the gateway id, and its answer is dropped', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(shared(), { t });
  const tag = tagOf('giveup');
  const call = await startCall(gw, keep, 'ask_sampling', { tag, cancelMs: 300 });
  const ask = await call.s.next(isAsk, 5000, 'the sampling request');
  const cancelled = await call.s.next((m) => m.method === 'notifications/cancelled', 5000,
                                      'notifications/cancelled on the call\'s stream');
  assert.equal(cancelled.params.requestId, ask.id, 'it names the id the client knows');
  assert.equal(textOf(await call.s.next(isResult(call.req), 5000, 'the result')), 'gave up');
  const r = await rawPost(gw.url, answerTo(ask.id, tag));
  assert.equal(r.status, 202, r.text);
  await gw.waitForLog(/dropped a client's response to no waiting server request/, 3000);
});

test('a request the child makes outside any call is answered to it at once with an error, and given to nobody', async (t) => {
  const gw = await startGateway(shared(), { t });
  const r = await rawPost(gw.url, toolCall('ask_after', { ms: 100 }));
  assert.equal(textOf(messagesOf(r).find((m) => 'result' in m)), 'asked later', r.text);
  const line = await gw.waitForLog(/ask_after got .*/, 3000);
  assert.match(line[0], /-32601.*no call is in flight/, line[0]);
  await gw.waitForLog(/refused server request sampling\/createMessage: no call is in flight/, 3000);
});

test('--json-response: a JSON body has no place for a server request or a log; the child gets an error, the call its result', async (t) => {
  const gw = await startGateway(shared('--json-response'), { t });
  const tag = tagOf('json');
  const r = await rawPost(gw.url, toolCall('ask_sampling', { tag }));
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  const got = JSON.parse(textOf(JSON.parse(r.text)));
  assert.equal(got.error?.code, -32601, JSON.stringify(got));
  assert.match(got.error.message, /JSON body/, got.error.message);

  const n = await rawPost(gw.url, toolCall('notify', { text: tag }));
  assert.equal(textOf(JSON.parse(n.text)), 'notified', n.text);
  assert.equal(n.text.includes(tag), false, n.text);
});

// ------------------------------------------------------------ legacy SSE

/** Opens GET /sse; the stream and its endpoint URL. */
async function openLegacy(gw, keep) {
  const s = keep(await openStream(`${gw.base}/sse`, { headers: { accept: 'text/event-stream' } }));
  assert.equal(s.status, 200);
  await withTimeout((async () => {
    while (!parseSse(s.text()).some((e) => e.event === 'endpoint')) await new Promise((r) => setTimeout(r, 10));
  })(), 3000, 'the endpoint event');
  const ep = parseSse(s.text()).find((e) => e.event === 'endpoint').data;
  return { s, post: (msg) => rawPost(new URL(ep, gw.base).href, msg, mcpHeaders()) };
}

const initialize = (capabilities) => ({
  jsonrpc: '2.0', id: 0, method: 'initialize',
  params: { protocolVersion: '2024-11-05', capabilities, clientInfo: { name: 'legacy', version: '1' } },
});

test('legacy SSE: a client that declared sampling gets the request on its stream and answers by POST; one that did not gets none', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(shared(), { t });
  const yes = await openLegacy(gw, keep);
  const no = await openLegacy(gw, keep);
  for (const [c, caps] of [[yes, { sampling: {} }], [no, {}]]) {
    assert.equal((await c.post(initialize(caps))).status, 202);
    await c.s.next((m) => m.id === 0 && m.result, 3000, 'the initialize result');
  }

  const tag = tagOf('legacy');
  const req = toolCall('ask_sampling', { tag });
  assert.equal((await yes.post(req)).status, 202);
  const ask = await yes.s.next(isAsk, 5000, 'the sampling request on the SSE stream');
  assert.match(String(ask.id), GATEWAY_ID);
  assert.equal((await yes.post(answerTo(ask.id, tag))).status, 202);
  const final = await yes.s.next(isResult(req), 5000, 'the ask_sampling result');
  assert.deepEqual(JSON.parse(textOf(final)), answerTo('s1', tag));

  const req2 = toolCall('ask_sampling', { tag: `${tag}-no` });
  assert.equal((await no.post(req2)).status, 202);
  const refused = JSON.parse(textOf(await no.s.next(isResult(req2), 5000, 'the refused ask_sampling result')));
  assert.equal(refused.error?.code, -32601, JSON.stringify(refused));
  assert.match(refused.error.message, /did not declare/, refused.error.message);
  assert.equal(no.s.messages().filter(isAsk).length, 0, `no request on its stream: ${no.s.text()}`);
  assert.equal(yes.s.text().includes(`${tag}-no`), false, 'nor on the other client\'s');
});

test('a shared session is asked only what its initialize declared: without sampling its server gets an error, with it the request comes', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(shared(), { t });
  const plain = await openSession(gw.url, { protocolVersion: '2025-11-25' });
  const sampler = await openSession(gw.url, { protocolVersion: '2025-11-25',
                                              capabilities: { sampling: {} } });

  const tag = tagOf('undeclared');
  const req = toolCall('ask_sampling', { tag });
  const s = keep(await postStream(gw.url, plain.sid, req, { 'mcp-protocol-version': '2025-11-25' }));
  const got = JSON.parse(textOf(await s.next(isResult(req), 8000, 'the ask_sampling result')));
  assert.match(got.error?.message ?? '', /did not declare that capability/, JSON.stringify(got));
  assert.equal(s.messages().filter(isAsk).length, 0, 'no request on the stream of a client that cannot answer');

  const tag2 = tagOf('declared');
  const req2 = toolCall('ask_sampling', { tag: tag2 });
  const s2 = keep(await postStream(gw.url, sampler.sid, req2, { 'mcp-protocol-version': '2025-11-25' }));
  const ask = await s2.next(isAsk, 5000, 'the request on the declaring client\'s stream');
  const r = await rawPost(gw.url, answerTo(ask.id, tag2), sessionHeaders(sampler.sid));
  assert.equal(r.status, 202, r.text);
  assert.deepEqual(JSON.parse(textOf(await s2.next(isResult(req2), 8000, 'its result'))),
                   answerTo('s1', tag2));
});
