// SPDX-License-Identifier: MIT
//
// Three mcpgw --stateful replicas behind conf/nginx/mcpgw-replicas.conf
// (real nginx, TLS): sessions spread over them and every request of a
// session reaches the replica that made it; a stopped replica's sessions
// get 404 from a live one and start again there; SSE events pass nginx as
// they are written.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { test } from 'node:test';

import {
  ROOT, fixtureCmd, freePort, initializeRequest, mcpHeaders, nodeDescendantPids, rpc,
  startGateway, toolCall,
} from './lib.mjs';
import { CONF, fetchAll, localSite, makeCert, request, startNginx, substitute, tempDir } from './nginx-lib.mjs';

const NAMES = ['r1', 'r2', 'r3'];
const PODS = ['mcpgw-0', 'mcpgw-1', 'mcpgw-2'];
const SESSIONS = 50;

async function startReplicas(t, names) {
  const replicas = {};
  for (const name of names) {
    replicas[name] = await startGateway(
      ['--stateful', '--replica-id', name, '--max-sessions', '200',
       '--stdio', fixtureCmd({}, { exec: true })], { t });
  }
  return replicas;
}

/** conf/nginx/mcpgw-replicas.conf, with TLS, in front of r1..r3. */
async function setUp(t) {
  const dir = tempDir(t);
  const cert = makeCert(dir);
  const replicas = await startReplicas(t, NAMES);
  const tlsPort = await freePort();
  let site = fs.readFileSync(path.join(CONF, 'mcpgw-replicas.conf'), 'utf8');
  // The committed file names the replicas r1..r3 on ports 8001..8003.
  site = substitute(site, NAMES.map((n, i) => [`127.0.0.1:800${i + 1};`, `127.0.0.1:${replicas[n].port};`]));
  site = substitute(site, NAMES.map((n, i) => [`127.0.0.1:800${i + 1} backup;`, `127.0.0.1:${replicas[n].port} backup;`]));
  site = localSite(site, { dir, cert, tlsPort });
  const nginx = await startNginx(t, dir, site, tlsPort);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 8, ca: cert.pem });
  t.after(() => agent.destroy());
  const base = `https://localhost:${tlsPort}`;
  return { replicas, nginx, url: `${base}/mcp`, base, agent, names: NAMES };
}

/** conf/k8s/router.conf in front of pods mcpgw-0..2 (their Services' names). */
async function setUpRouter(t) {
  const dir = tempDir(t);
  const replicas = await startReplicas(t, PODS);
  const port = await freePort();
  let site = fs.readFileSync(path.join(ROOT, 'conf', 'k8s', 'router.conf'), 'utf8');
  site = substitute(site, [['listen 8080;', `listen 127.0.0.1:${port};`]]);
  site = substitute(site, PODS.map((n) => [`server ${n}:8000`, `server 127.0.0.1:${replicas[n].port}`]));
  const nginx = await startNginx(t, dir, site, port, { tls: false });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  t.after(() => agent.destroy());
  const base = `http://localhost:${port}`;
  return { replicas, nginx, url: `${base}/mcp`, base, agent, names: PODS };
}

function post(ctx, body, sid) {
  const headers = mcpHeaders(sid ? { 'mcp-session-id': sid } : {});
  return fetchAll(ctx.url, { method: 'POST', headers, body, agent: ctx.agent });
}

async function initialize(ctx) {
  const r = await post(ctx, initializeRequest());
  assert.equal(r.status, 200, r.text);
  const sid = r.headers['mcp-session-id'];
  const n = await post(ctx, { jsonrpc: '2.0', method: 'notifications/initialized' }, sid);
  assert.equal(n.status, 202, `notifications/initialized of ${sid}: ${n.status} ${n.text}`);
  return sid;
}

/** The pid of the session's MCP server, asked through nginx. */
async function serverPid(ctx, sid) {
  const msg = toolCall('pid');
  const r = await post(ctx, msg, sid);
  assert.equal(r.status, 200, `${sid}: ${r.text}`);
  return Number(r.messages.find((m) => m.id === msg.id).result.content[0].text);
}

function replicaOf(sid) {
  const m = /^(r[123]|mcpgw-[012])\.[0-9a-f]{32}$/.exec(sid);
  assert.ok(m, `session id ${JSON.stringify(sid)} names no replica`);
  return m[1];
}

test('50 sessions spread over three replicas, each kept on its own', async (t) => {
  const ctx = await setUp(t);
  const count = Object.fromEntries(NAMES.map((n) => [n, 0]));
  let kept = 0;
  // Ten sessions live at a time (each has an MCP server process), their
  // requests interleaved, then ended with DELETE through nginx.
  for (let batch = 0; batch < SESSIONS / 10; batch++) {
    const sessions = [];
    for (let i = 0; i < 10; i++) sessions.push(await initialize(ctx));
    for (const sid of sessions) count[replicaOf(sid)] += 1;
    // Every request reaches the session's replica: the MCP server that
    // answers is one of that replica's children, three rounds in a row.
    const seen = new Map(sessions.map((sid) => [sid, []]));
    for (let round = 0; round < 3; round++)
      for (const sid of sessions) seen.get(sid).push(await serverPid(ctx, sid));
    for (const sid of sessions) {
      const pids = new Set(nodeDescendantPids(ctx.replicas[replicaOf(sid)].pid));
      const got = seen.get(sid);
      assert.ok(got.every((p) => p === got[0] && pids.has(p)), `${sid}: pids ${got}, not of ${replicaOf(sid)}`);
      kept += 1;
    }
    if (batch === 0) {
      // The session's GET stream follows it too.
      const get = await request(ctx.url, {
        headers: { accept: 'text/event-stream', 'mcp-session-id': sessions[0] }, agent: false, ca: ctx.agent.options.ca,
      });
      assert.equal(get.status, 200);
      get.close();
    }
    for (const sid of sessions) {
      const del = await fetchAll(ctx.url, { method: 'DELETE', headers: { 'mcp-session-id': sid }, agent: ctx.agent });
      assert.equal(del.status, 200, `DELETE ${sid}: ${del.text}`);
    }
    assert.equal((await post(ctx, rpc('ping'), sessions[0])).status, 404, 'a deleted session is gone');
  }
  t.diagnostic(`sessions per replica: ${JSON.stringify(count)}`);
  t.diagnostic(`sessions whose every request reached their replica: ${kept} of ${SESSIONS}`);
  for (const n of NAMES) assert.ok(count[n] >= 10, `replica ${n} got ${count[n]} of ${SESSIONS}`);
});

async function failover(ctx, stopped) {
  const sessions = [];
  for (let i = 0; i < 12; i++) sessions.push(await initialize(ctx));
  const lost = sessions.filter((s) => replicaOf(s) === stopped);
  const kept = sessions.filter((s) => replicaOf(s) !== stopped);
  assert.ok(lost.length > 0 && kept.length > 0, sessions.join(' '));

  const info = await ctx.replicas[stopped].stop();
  assert.equal(info.code, 0);

  for (const sid of lost) {
    const r = await post(ctx, toolCall('echo', { text: 'x' }), sid);
    assert.equal(r.status, 404, `${sid} after its replica stopped: ${r.status} ${r.text}`);
    // What the SDK does on 404: initialize again, then carry on.
    const again = await initialize(ctx);
    assert.notEqual(replicaOf(again), stopped);
    const pid = await serverPid(ctx, again);
    assert.ok(nodeDescendantPids(ctx.replicas[replicaOf(again)].pid).includes(pid));
  }
  for (const sid of kept) {
    const pid = await serverPid(ctx, sid);
    assert.ok(nodeDescendantPids(ctx.replicas[replicaOf(sid)].pid).includes(pid), `${sid} moved`);
  }
}

test('a stopped replica: its sessions get 404, start again on a live one and go on', async (t) => {
  await failover(await setUp(t), 'r2');
});

test('the Kubernetes router conf keeps sessions on their pods, and fails over', async (t) => {
  const ctx = await setUpRouter(t);
  const sessions = [];
  for (let i = 0; i < 9; i++) sessions.push(await initialize(ctx));
  assert.deepEqual(new Set(sessions.map(replicaOf)), new Set(PODS));
  for (const sid of sessions) {
    const pid = await serverPid(ctx, sid);
    assert.ok(nodeDescendantPids(ctx.replicas[replicaOf(sid)].pid).includes(pid), `${sid}: pid ${pid}`);
  }
  await failover(ctx, 'mcpgw-1');
});

test('legacy SSE: the endpoint names the replica, and posts reach it', async (t) => {
  const ctx = await setUp(t);
  const streams = [];
  for (let i = 0; i < 3; i++) {
    const s = await request(`${ctx.base}/sse`, { headers: { accept: 'text/event-stream' }, agent: false, ca: ctx.agent.options.ca });
    assert.equal(s.status, 200);
    const ep = await s.next((e) => e.event === 'endpoint', 5000, 'the endpoint event');
    streams.push({ s, endpoint: ep.data });
  }
  const names = new Set();
  for (const { s, endpoint } of streams) {
    const sid = new URL(endpoint, ctx.base).searchParams.get('sessionId');
    names.add(replicaOf(sid));
    const msg = initializeRequest({ protocolVersion: '2024-11-05' });
    const r = await fetchAll(new URL(endpoint, ctx.base).href, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: msg, agent: ctx.agent,
    });
    assert.equal(r.status, 202, `${endpoint}: ${r.text}`);
    const answer = await s.next((e) => e.event === 'message' && JSON.parse(e.data).id === msg.id, 5000, 'the answer');
    assert.ok(JSON.parse(answer.data).result.serverInfo);
    s.close();
  }
  assert.equal(names.size, 3, `three streams, round-robin: ${[...names]}`);
});

test('SSE events pass nginx as they are written', async (t) => {
  const ctx = await setUp(t);
  const sid = await initialize(ctx);
  const steps = 4;
  const gap = 300;
  const direct = ctx.replicas[replicaOf(sid)].url;
  const timings = {};
  for (const [where, url] of [['nginx', ctx.url], ['direct', direct]]) {
    const msg = toolCall('progress', { steps, ms: gap }, { meta: { progressToken: `p-${where}` } });
    const sent = performance.now();
    const s = await request(url, {
      method: 'POST', headers: mcpHeaders({ 'mcp-session-id': sid, host: 'localhost' }), body: msg,
      agent: where === 'nginx' ? ctx.agent : undefined,
    });
    assert.equal(s.status, 200);
    await s.ended;
    const events = s.messages();
    assert.equal(events.length, steps + 1, s.text());
    // The fixture writes progress i at (i - 1) * gap ms after the call
    // reaches it, and the answer at steps * gap ms.
    const late = events.map((e, i) => e.at - sent - i * gap);
    timings[where] = { first: late[0], worst: Math.max(...late) };
  }
  t.diagnostic(`first event after ${timings.nginx.first.toFixed(1)} ms through nginx ` +
               `(${timings.direct.first.toFixed(1)} ms direct); worst lateness ` +
               `${timings.nginx.worst.toFixed(1)} ms (${timings.direct.worst.toFixed(1)} ms direct)`);
  assert.ok(timings.nginx.first < 100, `first event ${timings.nginx.first} ms after the request`);
  assert.ok(timings.nginx.worst < 100, `an event came ${timings.nginx.worst} ms after it was due`);
});

test('a replica shutting down: nginx\'s kept-alive connections to it close, and stateless requests go to the others, none answered 503', async (t) => {
  const dir = tempDir(t);
  const cert = makeCert(dir);
  const replicas = {};
  for (const name of NAMES) {
    replicas[name] = await startGateway(['--replica-id', name, '--shutdown-timeout', '10s',
                                         '--stdio', fixtureCmd({}, { exec: true })], { t });
  }
  const tlsPort = await freePort();
  let site = fs.readFileSync(path.join(CONF, 'mcpgw-replicas.conf'), 'utf8');
  site = substitute(site, NAMES.map((n, i) => [`127.0.0.1:800${i + 1};`, `127.0.0.1:${replicas[n].port};`]));
  site = substitute(site, NAMES.map((n, i) => [`127.0.0.1:800${i + 1} backup;`, `127.0.0.1:${replicas[n].port} backup;`]));
  site = localSite(site, { dir, cert, tlsPort });
  await startNginx(t, dir, site, tlsPort);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 8, ca: cert.pem });
  t.after(() => agent.destroy());
  const ctx = { url: `https://localhost:${tlsPort}/mcp`, agent };
  const calls = async (n, what) => {
    const rs = await Promise.all(Array.from({ length: n }, (_, i) => {
      const msg = toolCall('echo', { text: `${what}-${i}` });
      return post(ctx, msg).then((r) => ({ r, msg }));
    }));
    for (const { r, msg } of rs) {
      assert.equal(r.status, 200, `${what}: ${r.status} ${r.text}`);
      assert.equal(r.messages.find((m) => m.id === msg.id)?.result?.content?.[0]?.text, msg.params.arguments.text);
    }
  };
  // Every replica gets requests, so nginx keeps connections to each.
  await calls(30, 'warm');
  assert.match(replicas.r2.log(), /POST \/mcp" 200/, 'r2 served some');

  // A call in flight keeps r2 draining for a while after SIGTERM.
  const slow = post({ url: replicas.r2.url, agent: undefined }, toolCall('sleep', { ms: 2500 }));
  await new Promise((r) => setTimeout(r, 200));
  replicas.r2.proc.kill('SIGTERM');
  await replicas.r2.waitForLog(/shutting down/, 3000);
  // Requests that come during the drain, not in the instant of the close
  // (a request nginx sends just as its connection closes still fails).
  await new Promise((r) => setTimeout(r, 300));
  await calls(30, 'during');
  assert.doesNotMatch(replicas.r2.log(), /"POST \/mcp" 503/, 'no request was answered 503 by the draining replica');
  assert.equal((await slow).status, 200, 'the call in flight finished');
  const info = await replicas.r2.exited;
  assert.equal(info.code, 0);
});
