// Stateful sessions (--stateful), with raw HTTP against the fixture: the
// Mcp-Session-Id life cycle, a child per session, DELETE, idle expiry,
// --max-sessions, the GET stream, server requests answered by the client,
// and sessions kept apart. What is expected is what the SDK's
// StreamableHTTPServerTransport and the MCP spec do.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  assertJsonRpcError, callToolRaw, deleteSession, fixtureCmd, header, initializeRequest,
  isAlive, killAll, mcpHeaders, messagesOf, nodeDescendantPids, nodeDescendants,
  openGetStream, openSession, openStream, postStream, rawPost, rpc, sessionHeaders,
  startGateway, textOf, toolCall, waitFor, withTimeout,
  keepStreams,
} from './lib.mjs';

const streams = keepStreams;

after(killAll);

// What a session id must look like: at least 32 visible ASCII characters.
const SESSION_ID = /^[\x21-\x7e]{32,}$/;

const stateful = (...flags) => ['--stateful', ...flags, '--stdio', fixtureCmd()];

let uniq = 0;
const tagOf = (what) => `${what}-${process.pid}-${Date.now().toString(36)}-${++uniq}`;

/** tools/call in session sid; { res, messages, response, id }. */
const call = (gw, sid, name, args = {}, opts = {}) =>
  callToolRaw(gw.url, name, args, { ...opts, headers: { 'mcp-session-id': sid, ...(opts.headers ?? {}) } });

/** The pid of the session's child (the fixture's `pid` tool). */
async function childPid(gw, sid) {
  const { res, response } = await call(gw, sid, 'pid');
  assert.equal(res.status, 200, `pid in session ${sid}: HTTP ${res.status} ${res.text}`);
  const pid = Number(textOf(response));
  assert.ok(pid > 0, `a pid: ${res.text}`);
  return pid;
}

/** Waits until gw has n node processes below it. */
const waitChildren = (gw, n, timeoutMs = 5000) => waitFor(() => nodeDescendants(gw.pid) === n, {
  timeoutMs, what: `${n} node processes below the gateway (${nodeDescendants(gw.pid)} when the wait began)`,
});

/**
 * A GET that is expected to be refused: resolves with { status, headers,
 * text }. Should it be answered 200 with a stream, the stream is closed
 * and status is still reported, so the assertion fails instead of hanging.
 */
async function getOnce(url, headers) {
  const s = await openStream(url, { method: 'GET', headers });
  if (s.status === 200) {
    await s.close();
    return { status: s.status, headers: s.headers, text: s.text() };
  }
  await withTimeout(s.ended, 5000, `the body of GET ${s.status}`);
  return { status: s.status, headers: s.headers, text: s.text() };
}


const isNotification = (text) => (m) =>
  m.method === 'notifications/message' && m.params?.data === text;

// --------------------------------------------------------------- the id

test('initialize without Mcp-Session-Id opens a session: 200, a long visible-ASCII id, a child of its own', async (t) => {
  const gw = await startGateway(stateful(), { t });
  const base = nodeDescendants(gw.pid);

  const a = await rawPost(gw.url, initializeRequest({ protocolVersion: '2025-06-18', id: 'init-a' }));
  assert.equal(a.status, 200, a.text);
  const sidA = header(a, 'mcp-session-id');
  assert.match(String(sidA), SESSION_ID, `mcp-session-id ${JSON.stringify(sidA)}`);
  const ra = messagesOf(a).find((m) => m.id === 'init-a');
  assert.ok(ra?.result, `an initialize result: ${a.text}`);
  // The session's own MCP server answered (the fixture echoes the version).
  assert.equal(ra.result.protocolVersion, '2025-06-18');
  assert.equal(ra.result.serverInfo?.name, 'mcpgw-fixture');
  await waitChildren(gw, base + 1);

  const b = await rawPost(gw.url, initializeRequest({ protocolVersion: '2025-03-26', id: 'init-b' }));
  assert.equal(b.status, 200, b.text);
  const sidB = header(b, 'mcp-session-id');
  assert.match(String(sidB), SESSION_ID, `mcp-session-id ${JSON.stringify(sidB)}`);
  assert.notEqual(sidB, sidA, 'two sessions, two ids');
  assert.equal(messagesOf(b).find((m) => m.id === 'init-b')?.result?.protocolVersion, '2025-03-26');
  await waitChildren(gw, base + 2);

  // One child each, and each session talks to its own.
  const pidA = await childPid(gw, sidA);
  const pidB = await childPid(gw, sidB);
  assert.notEqual(pidA, pidB, 'a child per session');
  const below = nodeDescendantPids(gw.pid);
  assert.ok(below.includes(pidA) && below.includes(pidB), `${pidA}, ${pidB} in ${below}`);
});

test('in a session: 400 without the id, 404 for an unknown id, 400 for a second initialize; answers carry the id', async (t) => {
  const gw = await startGateway(stateful(), { t });
  const { sid } = await openSession(gw.url);

  // A request, a notification and a response alike need the header.
  for (const msg of [rpc('tools/list'), { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
                     { jsonrpc: '2.0', id: 's1', result: {} }]) {
    const noId = await rawPost(gw.url, msg, mcpHeaders());
    assertJsonRpcError(noId, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
  }

  for (const bogus of ['0123456789abcdef0123456789abcdef', sid.slice(0, -1) + (sid.endsWith('0') ? '1' : '0'), 'nope']) {
    const r = await rawPost(gw.url, rpc('tools/list'), sessionHeaders(bogus));
    assertJsonRpcError(r, 404, -32001, 'Session not found');
  }

  const again = await rawPost(gw.url, initializeRequest(), sessionHeaders(sid));
  assertJsonRpcError(again, 400, -32600, 'Invalid Request: Server already initialized');

  // The session is none the worse, and every answer names it.
  const { res, response } = await call(gw, sid, 'echo', { text: 'still here' });
  assert.equal(res.status, 200, res.text);
  assert.equal(textOf(response), 'still here');
  assert.equal(header(res, 'mcp-session-id'), sid, 'a call\'s answer carries mcp-session-id');
  const n = await rawPost(gw.url, { jsonrpc: '2.0', method: 'notifications/roots/list_changed' }, sessionHeaders(sid));
  assert.equal(n.status, 202, n.text);
  assert.equal(header(n, 'mcp-session-id'), sid, 'a 202 carries mcp-session-id');
});

// -------------------------------------------------------------- DELETE

test('DELETE ends the session and its child; the id is unknown afterwards; DELETE without an id is 400', async (t) => {
  const gw = await startGateway(stateful(), { t });
  const base = nodeDescendants(gw.pid);
  const a = await openSession(gw.url);
  const b = await openSession(gw.url);
  await waitChildren(gw, base + 2);
  const pidA = await childPid(gw, a.sid);

  const noId = await deleteSession(gw.url, null);
  assert.equal(noId.status, 400, `DELETE without Mcp-Session-Id: ${noId.status} ${noId.text}`);
  assert.equal(nodeDescendants(gw.pid), base + 2, 'nothing ended by a DELETE without an id');

  const del = await deleteSession(gw.url, a.sid);
  assert.equal(del.status, 200, `DELETE: ${del.status} ${del.text}`);
  await waitFor(() => !isAlive(pidA), { timeoutMs: 5000, what: `session A's child ${pidA} to exit` });
  await waitChildren(gw, base + 1);

  const post = await rawPost(gw.url, rpc('tools/list'), sessionHeaders(a.sid));
  assertJsonRpcError(post, 404, -32001, 'Session not found');
  const get = await getOnce(gw.url, { accept: 'text/event-stream', 'mcp-session-id': a.sid });
  assert.equal(get.status, 404, `GET after DELETE: ${get.status} ${get.text}`);
  const del2 = await deleteSession(gw.url, a.sid);
  assert.equal(del2.status, 404, `DELETE after DELETE: ${del2.status} ${del2.text}`);

  // The other session is untouched.
  const { response } = await call(gw, b.sid, 'echo', { text: 'b lives' });
  assert.equal(textOf(response), 'b lives');
});

// ---------------------------------------------------------- idle expiry

test('--sessionTimeout 1000: an idle session ends within ~2 s and its child goes', async (t) => {
  const gw = await startGateway(stateful('--sessionTimeout', '1000'), { t });
  const base = nodeDescendants(gw.pid);
  const { sid } = await openSession(gw.url);
  const t0 = Date.now(); // the last request starts
  const pid = await childPid(gw, sid);
  // Only /proc is watched: any request with the id would count as activity.
  await waitFor(() => !isAlive(pid), { timeoutMs: 4000, intervalMs: 20, what: `the idle session's child ${pid} to exit` });
  const ms = Date.now() - t0;
  assert.ok(ms >= 900, `the session ended after ${ms} ms idle, before --sessionTimeout 1000`);
  await waitChildren(gw, base);
  const r = await rawPost(gw.url, rpc('tools/list'), sessionHeaders(sid));
  assertJsonRpcError(r, 404, -32001, 'Session not found');
});

test('--sessionTimeout 1000: an open GET stream does not keep the session alive, and it ends with it', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(stateful('--sessionTimeout', '1000'), { t });
  const base = nodeDescendants(gw.pid);
  const { sid } = await openSession(gw.url);
  const pid = await childPid(gw, sid);
  const get = await openGetStream(gw.url, sid);
  keep(get);
  assert.equal(get.status, 200, get.text());
  await waitFor(() => !isAlive(pid), { timeoutMs: 4000, what: `child ${pid} of the session with only a GET open to exit` });
  await withTimeout(get.ended, 3000, 'the GET stream to end with its session');
  await waitChildren(gw, base);
  const r = await rawPost(gw.url, rpc('tools/list'), sessionHeaders(sid));
  assertJsonRpcError(r, 404, -32001, 'Session not found');
});

test('--sessionTimeout 1000: a call in flight keeps the session alive (sleep 2500 gets its result)', async (t) => {
  const gw = await startGateway(stateful('--sessionTimeout', '1000'), { t });
  const { sid } = await openSession(gw.url);
  const t0 = Date.now();
  const { res, response } = await call(gw, sid, 'sleep', { ms: 2500 }, { timeoutMs: 10000 });
  assert.equal(res.status, 200, res.text);
  assert.equal(textOf(response), 'slept 2500', `the sleep's result: ${res.text}`);
  assert.ok(Date.now() - t0 >= 2400, 'the call really took its 2500 ms');
});

// ------------------------------------------------------ the child dies

test('the session\'s child dies: calls in flight get -32000, the session is gone (404), a new one works', async (t) => {
  const gw = await startGateway(stateful(), { t });
  const base = nodeDescendants(gw.pid);
  const s = await openSession(gw.url);
  const other = await openSession(gw.url);
  await waitChildren(gw, base + 2);
  const pid = await childPid(gw, s.sid);

  const tag = tagOf('sleeper');
  let t0 = Infinity;
  const sleepers = [0, 1, 2].map((i) => call(gw, s.sid, 'sleep', { ms: 5000, text: `${tag}-${i}` }, { timeoutMs: 10000 })
    .then((r) => ({ ...r, ms: Date.now() - t0 })));
  for (let i = 0; i < 3; i++) await gw.waitForLog(new RegExp(`text=${tag}-${i}\\b`), 5000);
  t0 = Date.now();
  const crash = await call(gw, s.sid, 'crash', {}, { timeoutMs: 10000 });
  assert.ok(crash.response?.error, `the crash call gets an error: HTTP ${crash.res.status} ${crash.res.text}`);

  for (const [i, r] of (await Promise.all(sleepers)).entries()) {
    assert.equal(r.res.status, 200, `sleeper ${i}: HTTP ${r.res.status} ${r.res.text}`);
    assert.equal(r.response?.error?.code, -32000, `sleeper ${i} gets -32000: ${r.res.text}`);
    assert.ok(r.ms < 3000, `sleeper ${i} answered ${r.ms} ms after the crash (its sleep was 5000)`);
  }
  await waitFor(() => !isAlive(pid), { timeoutMs: 3000, what: 'the crashed child to be gone' });

  const next = await rawPost(gw.url, rpc('tools/list'), sessionHeaders(s.sid));
  assertJsonRpcError(next, 404, -32001, 'Session not found');
  await waitChildren(gw, base + 1);

  const fresh = await openSession(gw.url);
  assert.notEqual(fresh.sid, s.sid);
  const { response } = await call(gw, fresh.sid, 'echo', { text: 'fresh' });
  assert.equal(textOf(response), 'fresh');
  assert.notEqual(await childPid(gw, fresh.sid), pid, 'a new child');
  const o = await call(gw, other.sid, 'echo', { text: 'other lives' });
  assert.equal(textOf(o.response), 'other lives', 'the other session did not notice');
  assert.equal(gw.exitInfo(), null, 'the gateway survived');
});

// -------------------------------------------------------- --max-sessions

test('--max-sessions 2: a third initialize gets 503 "Too many sessions"; after a DELETE one opens again', async (t) => {
  const gw = await startGateway(stateful('--max-sessions', '2'), { t });
  const base = nodeDescendants(gw.pid);
  const a = await openSession(gw.url);
  await openSession(gw.url);
  await waitChildren(gw, base + 2);

  const r = await rawPost(gw.url, initializeRequest({ id: 'third' }));
  assert.equal(r.status, 503, `third initialize: HTTP ${r.status} ${r.text}`);
  assert.match(header(r, 'content-type') ?? '', /^application\/json\b/, `content-type: ${header(r, 'content-type')}`);
  let body;
  assert.doesNotThrow(() => {
    body = JSON.parse(r.text);
  }, `a JSON body: ${r.text}`);
  assert.equal(body.jsonrpc, '2.0', r.text);
  assert.equal(body.id, 'third', `the error carries the request's id: ${r.text}`);
  assert.equal(typeof body.error?.code, 'number', r.text);
  assert.match(String(body.error?.message), /Too many sessions/, r.text);
  assert.equal(header(r, 'mcp-session-id'), null, 'no session id for a refused initialize');
  assert.equal(nodeDescendants(gw.pid), base + 2, 'no child started for it');

  const del = await deleteSession(gw.url, a.sid);
  assert.equal(del.status, 200, del.text);
  const c = await openSession(gw.url);
  const { response } = await call(gw, c.sid, 'echo', { text: 'room again' });
  assert.equal(textOf(response), 'room again');
});

// ----------------------------------------------------------------- GET

test('GET: 406 without Accept text/event-stream, 400 without an id, 404 for an unknown one', async (t) => {
  const gw = await startGateway(stateful(), { t });
  const { sid } = await openSession(gw.url);

  const noAccept = await getOnce(gw.url, { accept: 'application/json', 'mcp-session-id': sid });
  assert.equal(noAccept.status, 406, `GET with Accept: application/json: ${noAccept.status} ${noAccept.text}`);
  const none = await getOnce(gw.url, { 'mcp-session-id': sid });
  assert.equal(none.status, 406, `GET without Accept: ${none.status} ${none.text}`);
  const noId = await getOnce(gw.url, { accept: 'text/event-stream' });
  assert.equal(noId.status, 400, `GET without Mcp-Session-Id: ${noId.status} ${noId.text}`);
  const unknown = await getOnce(gw.url, { accept: 'text/event-stream', 'mcp-session-id': 'f'.repeat(32) });
  assert.equal(unknown.status, 404, `GET with an unknown id: ${unknown.status} ${unknown.text}`);
});

test('GET with a valid session: 200 text/event-stream, the headers at once, before any event', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(stateful(), { t });
  const { sid } = await openSession(gw.url);
  const t0 = Date.now();
  const get = keep(await openGetStream(gw.url, sid));
  const ms = Date.now() - t0;
  assert.equal(get.status, 200, get.text());
  assert.match(get.headers.get('content-type') ?? '', /^text\/event-stream\b/);
  assert.equal(get.headers.get('mcp-session-id'), sid, 'the stream names its session');
  assert.ok(ms < 1500, `the GET's headers took ${ms} ms to arrive`);
  assert.deepEqual(get.messages(), [], 'no event was sent');
  assert.equal(get.isEnded(), false, 'the stream stays open');
});

test('GET stream bytes are clean SSE: no NUL byte, a notification parses as one event', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(stateful(), { t });
  const { sid } = await openSession(gw.url);
  const get = keep(await openGetStream(gw.url, sid));
  assert.equal(get.status, 200);
  const tag = tagOf('clean');
  await call(gw, sid, 'notify_later', { text: tag, ms: 0 });
  await get.next(isNotification(tag), 5000, `notification "${tag}" on the GET stream`);
  const raw = get.text();
  const at = raw.indexOf('\0');
  assert.equal(at, -1, `a NUL byte at offset ${at} of the GET stream: ${JSON.stringify(raw.slice(0, 200))}`);
  for (const line of raw.split(/\r\n|\r|\n/)) {
    assert.match(line, /^(|:.*|(event|data|id|retry)(:.*)?)$/, `an SSE line: ${JSON.stringify(line)}`);
  }
});

test('GET: a second concurrent stream for the session is 409; once the first is closed a new one opens', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(stateful(), { t });
  const { sid } = await openSession(gw.url);
  const get = keep(await openGetStream(gw.url, sid));
  assert.equal(get.status, 200, get.text());

  const second = await getOnce(gw.url, { accept: 'text/event-stream', 'mcp-session-id': sid });
  assertJsonRpcError(second, 409, -32000, 'Conflict: Only one SSE stream is allowed per session');
  assert.equal(get.isEnded(), false, 'the first stream is still open');
  // The session still answers calls meanwhile.
  const { response } = await call(gw, sid, 'echo', { text: 'with a stream' });
  assert.equal(textOf(response), 'with a stream');

  await get.close();
  await waitFor(async () => {
    const s = await openGetStream(gw.url, sid);
    if (s.status === 200) {
      keep(s);
      return true;
    }
    await s.ended;
    return false;
  }, { timeoutMs: 12000, intervalMs: 100, what: 'a new GET stream after the first was closed' });
});

test('GET: a server notification sent while no call is in flight arrives on the GET stream', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(stateful(), { t });
  const { sid } = await openSession(gw.url);
  const get = await openGetStream(gw.url, sid);
  keep(get);
  assert.equal(get.status, 200, get.text());

  const tag = tagOf('later');
  const { res, messages, response } = await call(gw, sid, 'notify_later', { text: tag, ms: 300 });
  assert.equal(textOf(response), 'scheduled', res.text);
  // The call is over before the notification is sent.
  assert.equal(messages.filter(isNotification(tag)).length, 0, `not on the call's stream: ${res.text}`);
  const n = await get.next(isNotification(tag), 5000, `notifications/message "${tag}" on the GET stream`);
  assert.deepEqual(n, {
    jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', logger: 'fixture', data: tag },
  });
});

test('GET: notifications sent while no stream is open are held and delivered, in order, when a GET opens', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(stateful(), { t });
  const { sid } = await openSession(gw.url);
  const tag = tagOf('held');
  const { res, messages, response } = await call(gw, sid, 'notify_later', { text: tag, ms: 50, count: 3 });
  assert.equal(textOf(response), 'scheduled', res.text);
  assert.equal(messages.filter((m) => m.method === 'notifications/message').length, 0, res.text);
  // The child has written all three, with no stream open.
  await gw.waitForLog(new RegExp(`notify_later sent text=${tag} count=3`), 5000);

  const get = await openGetStream(gw.url, sid);
  keep(get);
  assert.equal(get.status, 200, get.text());
  await get.next(isNotification(`${tag} 3`), 5000, 'the third held notification');
  const got = get.messages().filter((m) => m.method === 'notifications/message').map((m) => m.params.data);
  assert.deepEqual(got, [`${tag} 1`, `${tag} 2`, `${tag} 3`]);
});

// ----------------------------------------------- server → client requests

const samplingAnswer = (tag) => ({
  jsonrpc: '2.0',
  id: 's1',
  result: {
    role: 'assistant',
    content: { type: 'text', text: `answer for ${tag}` },
    model: 'stub-model',
    stopReason: 'endTurn',
  },
});

test('a server request reaches the client on its call\'s POST stream; the client\'s answer (202) goes back intact', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(stateful(), { t });
  const { sid } = await openSession(gw.url);
  // A GET stream is open too: the request belongs on the call's stream.
  const get = await openGetStream(gw.url, sid);
  keep(get);
  assert.equal(get.status, 200);

  const tag = tagOf('sampling');
  const req = toolCall('ask_sampling', { tag });
  const post = await postStream(gw.url, sid, req);
  keep(post);
  assert.equal(post.status, 200, post.text());
  assert.match(post.headers.get('content-type') ?? '', /^text\/event-stream\b/);

  const ask = await post.next((m) => m.method === 'sampling/createMessage', 5000,
                              'sampling/createMessage on the POST stream');
  assert.equal(ask.id, 's1', `the server's own id: ${JSON.stringify(ask)}`);
  assert.equal(ask.params?.messages?.[0]?.content?.text, tag, JSON.stringify(ask));
  assert.equal(post.isEnded(), false, 'the call is still in flight');

  const answer = samplingAnswer(tag);
  const r = await rawPost(gw.url, answer, sessionHeaders(sid));
  assert.equal(r.status, 202, `the client's response: HTTP ${r.status} ${r.text}`);
  assert.equal(r.text, '');

  const final = await post.next((m) => m.id === req.id && ('result' in m || 'error' in m), 5000,
                                'the ask_sampling result');
  assert.deepEqual(JSON.parse(textOf(final)), answer, 'the server got exactly what the client answered');
  await withTimeout(post.ended, 3000, 'the POST stream to end after its response');
  assert.equal(get.messages().length, 0, `nothing on the GET stream: ${get.text()}`);
});

test('two sessions never see each other\'s messages (same server request id "s1" in both)', async (t) => {
  const keep = streams(t);
  const gw = await startGateway(stateful(), { t });
  const sessions = await Promise.all(['A', 'B'].map(async (name) => {
    const { sid } = await openSession(gw.url);
    const get = await openGetStream(gw.url, sid);
    keep(get);
    assert.equal(get.status, 200);
    return { name, sid, get, tag: tagOf(`iso${name}`) };
  }));
  const [A, B] = sessions;
  assert.notEqual(A.sid, B.sid);

  // Server requests with the same id in both sessions, in flight together.
  for (const s of sessions) {
    s.req = toolCall('ask_sampling', { tag: s.tag });
    s.post = await postStream(gw.url, s.sid, s.req);
    keep(s.post);
    assert.equal(s.post.status, 200, s.post.text());
  }
  for (const s of sessions) {
    s.ask = await s.post.next((m) => m.method === 'sampling/createMessage', 5000, `${s.name}'s sampling request`);
    assert.equal(s.ask.id, 's1');
    assert.equal(s.ask.params.messages[0].content.text, s.tag, `${s.name} got its own request`);
  }
  // B answers first.
  for (const s of [B, A]) {
    const r = await rawPost(gw.url, samplingAnswer(s.tag), sessionHeaders(s.sid));
    assert.equal(r.status, 202, r.text);
  }
  for (const s of sessions) {
    const final = await s.post.next((m) => m.id === s.req.id && ('result' in m || 'error' in m), 5000,
                                    `${s.name}'s ask_sampling result`);
    assert.deepEqual(JSON.parse(textOf(final)), samplingAnswer(s.tag), `${s.name}'s server got ${s.name}'s answer`);
    await withTimeout(s.post.ended, 3000, `${s.name}'s POST stream to end`);
  }

  // Notifications during a call (on its POST stream) and outside any call
  // (on the GET stream), both sessions at once.
  const notified = await Promise.all(sessions.map((s) => call(gw, s.sid, 'notify', { text: `${s.tag}-now` })));
  notified.forEach(({ res, messages, response }, i) => {
    const s = sessions[i];
    assert.equal(textOf(response), 'notified', res.text);
    assert.equal(messages.filter(isNotification(`${s.tag}-now`)).length, 1,
                 `${s.name}'s notification on ${s.name}'s call stream: ${res.text}`);
  });
  await Promise.all(sessions.map((s) => call(gw, s.sid, 'notify_later', { text: `${s.tag}-later`, ms: 100 })));
  await Promise.all(sessions.map((s) => s.get.next(isNotification(`${s.tag}-later`), 5000,
                                                   `${s.name}'s notification on ${s.name}'s GET stream`)));

  // Nothing of one session's on the other's streams.
  for (const [me, them] of [[A, B], [B, A]]) {
    const seen = me.get.text() + me.post.text() + notified[sessions.indexOf(me)].res.text;
    assert.equal(seen.includes(them.tag), false, `${me.name} saw ${them.name}'s messages:\n${seen}`);
  }
  assert.equal(A.get.messages().filter((m) => m.method === 'sampling/createMessage').length, 0);
  assert.equal(B.get.messages().filter((m) => m.method === 'sampling/createMessage').length, 0);
});

// ------------------------------------------------------- not --stateful

test('without --stateful: initialize opens a shared session; a plain GET is 405; an id never given here is served as none; an ended one is 404', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const base = nodeDescendants(gw.pid);
  const bogus = 'a'.repeat(32);
  for (const headers of [{}, { 'mcp-session-id': bogus }]) {
    const get = await getOnce(gw.url, { accept: 'text/event-stream', ...headers });
    assert.equal(get.status, 405, `GET ${JSON.stringify(headers)}: ${get.status} ${get.text}`);
    assert.equal(header(get, 'allow'), 'GET, POST, DELETE', 'Allow on GET');
  }
  const delNone = await deleteSession(gw.url, null);
  assert.equal(delNone.status, 405, delNone.text);
  assert.equal((await deleteSession(gw.url, bogus)).status, 404);

  // A session of the shared child: an id, and no child of its own.
  const { sid } = await openSession(gw.url);
  assert.match(sid, SESSION_ID);
  assert.equal(nodeDescendants(gw.pid), base, 'no child for a shared session');
  const inSession = await call(gw, sid, 'echo', { text: 'in session' });
  assert.equal(textOf(inSession.response), 'in session');
  assert.equal(header(inSession.res, 'mcp-session-id'), sid);

  // Another replica's id, or one from before a restart: served as none.
  const init = await rawPost(gw.url, initializeRequest({ id: 'i' }), sessionHeaders(bogus));
  assert.equal(init.status, 200, init.text);
  assert.ok(messagesOf(init).find((m) => m.id === 'i')?.result, init.text);
  assert.equal(header(init, 'mcp-session-id'), null);
  const { res, response } = await callToolRaw(gw.url, 'echo', { text: 'stateless' },
                                              { headers: { 'mcp-session-id': bogus } });
  assert.equal(res.status, 200, res.text);
  assert.equal(textOf(response), 'stateless');
  const n = await rawPost(gw.url, { jsonrpc: '2.0', method: 'notifications/initialized' },
                          sessionHeaders('not-a-session'));
  assert.equal(n.status, 202, n.text);
  const plain = await callToolRaw(gw.url, 'echo', { text: 'no session' });
  assert.equal(textOf(plain.response), 'no session');

  // Ended here: 404, so the client starts a new one.
  assert.equal((await deleteSession(gw.url, sid)).status, 200);
  const after = await call(gw, sid, 'echo', { text: 'x' });
  assertJsonRpcError(after.res, 404, -32001, 'Session not found');
});

test('without --stateful, past --max-sessions: initialize is answered without a session, and calls go on', async (t) => {
  const gw = await startGateway(['--max-sessions', '1', '--stdio', fixtureCmd()], { t });
  const { sid } = await openSession(gw.url);
  const second = await rawPost(gw.url, initializeRequest({ id: 'second' }));
  assert.equal(second.status, 200, second.text);
  assert.equal(header(second, 'mcp-session-id'), null);
  const { response } = await callToolRaw(gw.url, 'echo', { text: 'sessionless' });
  assert.equal(textOf(response), 'sessionless');
  assert.equal(textOf((await call(gw, sid, 'echo', { text: 'first' })).response), 'first');
});
