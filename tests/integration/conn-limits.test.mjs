// Connection guard rails: --max-connections (the one over the cap gets a
// 503 with a JSON-RPC body, not a hang), --header-timeout (a slowloris
// client dribbling header bytes is cut off, others are served meanwhile),
// --idle-timeout (an idle keep-alive connection is closed).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';

import {
  callToolRaw, connectRaw, fdCount, fixtureCmd, header, httpRequest, killAll,
  mcpHeaders, rawHttp, rawPostText, rpc, serverFds, sleep, startGateway,
  textOf, toolCall, waitFor,
} from './lib.mjs';

after(killAll);

const tag = `${process.pid}-${Date.now()}`;

// Connections the gateway holds that are still established.
const heldConnections = (gw) => fdCount(gw.pid) - serverFds(gw.pid, gw.port);

test('--max-connections 20: the 21st connection gets 503 "Too many connections"', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--max-connections', '20'], { t });
  const idle = [];
  t.after(() => idle.forEach((s) => s.destroy()));
  for (let i = 0; i < 20; i++) {
    const s = await connectRaw(gw.port);
    s.on('error', () => {});
    idle.push(s);
  }
  // Let the gateway accept them (best effort: it may refuse some of them
  // if start-up's keep-alive sockets still count).
  await waitFor(() => heldConnections(gw) >= 20, { timeoutMs: 3000, what: '20 accepted connections' })
    .catch(() => {});

  const r = await httpRequest(gw.url, {
    method: 'POST',
    headers: mcpHeaders(),
    body: JSON.stringify(toolCall('echo', { text: 'one too many' })),
    agent: false,
    timeoutMs: 5000,
  }).catch((e) => ({ status: 0, headers: {}, text: `(no answer: ${e.message})` }));
  assert.equal(r.status, 503, `the 21st connection: ${r.status} ${r.text}`);
  assert.match(header(r, 'content-type') ?? '', /^application\/json\b/);
  const body = JSON.parse(r.text);
  assert.equal(body.jsonrpc, '2.0', r.text);
  assert.equal(typeof body.error?.code, 'number', r.text);
  assert.match(String(body.error?.message), /Too many connections/, r.text);

  idle.forEach((s) => s.destroy());
  const text = `after the cap ${tag}`;
  await waitFor(async () => {
    const e = await callToolRaw(gw.url, 'echo', { text }, { timeoutMs: 3000 });
    return textOf(e.response) === text;
  }, { timeoutMs: 5000, intervalMs: 100, what: 'echo to work once the idle connections are closed' });
});

test('--header-timeout 1s: a slowloris client is cut off, others are served meanwhile', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--header-timeout', '1s',
                                 '--idle-timeout', '30s'], { t });
  const s = net.connect({ port: gw.port, host: '127.0.0.1' });
  s.on('error', () => {});
  t.after(() => s.destroy());
  let timer = null;
  let t0 = 0;
  const closed = new Promise((resolve) => s.once('close', () => {
    clearInterval(timer);
    resolve(Date.now() - t0);
  }));
  await new Promise((resolve) => s.once('connect', resolve));
  t0 = Date.now();
  s.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  const dribble = 'X-Slow-Header: ' + 'a'.repeat(1000);
  let i = 0;
  timer = setInterval(() => {
    if (!s.destroyed) s.write(dribble[i++ % dribble.length]);
  }, 200);

  // Twenty sequential calls from another client, spread over the window.
  const times = [];
  for (let k = 0; k < 20; k++) {
    const c0 = Date.now();
    const text = `beside slowloris ${k} ${tag}`;
    const { response } = await callToolRaw(gw.url, 'echo', { text }, { timeoutMs: 5000 });
    times.push(Date.now() - c0);
    assert.equal(textOf(response), text);
    await sleep(100);
  }
  const slow = times.filter((x) => x >= 200);
  assert.deepEqual(slow, [], `every echo under 200 ms beside the slowloris (times ${times.join(',')})`);

  const ms = await Promise.race([closed, sleep(5000 - (Date.now() - t0)).then(() => null)]);
  assert.ok(ms !== null, 'the slowloris connection was closed by the server within 5 s');
  t.diagnostic(`slowloris closed after ${ms} ms`);
  assert.ok(ms < 2500, `closed ${ms} ms after it connected (want < 2500)`);
  assert.ok(ms >= 700, `closed ${ms} ms after it connected: not before the header timeout`);
});

test('--idle-timeout 1s: an idle keep-alive connection is closed by the server', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--idle-timeout', '1s'], { t });
  const r = await rawHttp(gw.port, rawPostText(gw.port, '/mcp', JSON.stringify(rpc('ping'))),
                          { keepOpen: true, timeoutMs: 5000 });
  const t0 = Date.now();
  t.after(() => r.socket.destroy());
  assert.equal(r.status, 200, r.raw.slice(0, 300));
  assert.ok(r.complete, 'a whole response');
  assert.equal(r.closed, false, 'the connection is kept alive after the response');

  const ms = await Promise.race([
    new Promise((resolve) => {
      if (r.socket.destroyed) resolve(Date.now() - t0);
      r.socket.once('close', () => resolve(Date.now() - t0));
    }),
    sleep(5000).then(() => null),
  ]);
  assert.ok(ms !== null, 'the idle connection was closed by the server within 5 s');
  t.diagnostic(`idle keep-alive connection closed after ${ms} ms`);
  assert.ok(ms < 3000, `closed ${ms} ms after its last response (want < 3000)`);
});

test('--idle-timeout 1s: a call that takes longer than that is not cut', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--idle-timeout', '1s'], { t });
  const text = `long call ${tag}`;
  const { res, response } = await callToolRaw(gw.url, 'sleep', { ms: 2000, text }, { timeoutMs: 8000 });
  assert.equal(res.status, 200, res.text);
  assert.equal(textOf(response), text);
});
