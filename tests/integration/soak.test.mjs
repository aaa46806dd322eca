// Soak: 20 000 tools/call echo requests from 100 concurrent keep-alive
// clients while the child is SIGKILLed five times at even intervals.
// Every request gets an answer — its own result, or a JSON-RPC -32000
// error for calls the dying child held — never a hang and never another
// request's result. The gateway's RSS after a 2 000-request warm-up and at
// the end must differ by less than 8 MB (on an ASan build, with ASan's
// quarantine turned off).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

import {
  MCPGW_BIN, cmdlineOf, descendantPids, fixtureCmd, killAll, messagesOf, mcpHeaders,
  readyzStatus, sleep, startGateway, vmRssKb, waitFor,
} from './lib.mjs';

after(killAll);

const TOTAL = 20000;
const CLIENTS = 100;
const WARMUP = 2000;
const KILLS = 5;
const PER_REQUEST_MS = 30000;
const RSS_SLACK_KB = 8 * 1024;

// Kill points, evenly spread over the requests after the warm-up.
const killAt = Array.from({ length: KILLS },
                          (_, k) => WARMUP + Math.round(((k + 1) * (TOTAL - WARMUP)) / (KILLS + 1)));

function post(agent, port, body) {
  return new Promise((resolve) => {
    const req = http.request({
      host: '127.0.0.1', port, path: '/mcp', method: 'POST', agent,
      headers: { ...mcpHeaders(), 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                    text: Buffer.concat(parts).toString('utf8') }));
      res.on('error', (e) => resolve({ failed: `response error ${e.message}` }));
    });
    const timer = setTimeout(() => {
      req.destroy(new Error('hang'));
    }, PER_REQUEST_MS);
    req.on('error', (e) => resolve({ failed: e.message === 'hang'
      ? `no answer within ${PER_REQUEST_MS} ms` : `request error ${e.message}` }));
    req.on('close', () => clearTimeout(timer));
    req.end(body);
  });
}

function fixturePid(gw) {
  return descendantPids(gw.pid).find((p) => cmdlineOf(p).includes('fixture-server.mjs'));
}

test(`soak: ${TOTAL} echo calls, ${CLIENTS} clients, ${KILLS} child SIGKILLs`, { timeout: 150000 }, async (t) => {
  // An ASan build keeps freed memory in quarantine (up to 256 MB), which
  // reads as RSS growth: turn the quarantine off so the bound measures the
  // gateway, not the sanitizer.
  const env = {};
  if (fs.readFileSync(MCPGW_BIN).includes('__asan_init')) {
    const prev = process.env.ASAN_OPTIONS ? `${process.env.ASAN_OPTIONS}:` : '';
    env.ASAN_OPTIONS = `${prev}quarantine_size_mb=0:thread_local_quarantine_size_kb=0`;
    console.log(`soak: sanitized binary, ASAN_OPTIONS=${env.ASAN_OPTIONS}`);
  }
  const gw = await startGateway(['--stdio', fixtureCmd()], { t, env });
  const agents = Array.from({ length: CLIENTS }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  t.after(() => agents.forEach((a) => a.destroy()));
  const salt = crypto.randomBytes(4).toString('hex');

  let issued = 0;
  let done = 0;
  let ok = 0;
  let errors = 0;
  let failed = 0;
  const failures = []; // the first 20 of them
  const kills = [];
  const killing = [];
  let warmRss = null;
  let warmAt = 0;
  const t0 = Date.now();

  async function killChild(k) {
    // The child may be restarting from the previous kill: wait for one.
    const pid = await waitFor(() => fixturePid(gw), { timeoutMs: 20000, intervalMs: 20, what: 'a fixture to kill' });
    process.kill(pid, 'SIGKILL');
    kills.push({ k, pid, atRequest: done, ms: Date.now() - t0 });
  }

  function milestone() {
    if (done === WARMUP && warmRss === null) {
      warmRss = vmRssKb(gw.pid);
      warmAt = Date.now() - t0;
    }
    while (killing.length < killAt.length && done >= killAt[killing.length]) {
      killing.push(killChild(killing.length + 1));
    }
  }

  async function one(agent, seq) {
    const id = `soak-${salt}-${seq}`;
    const text = `echo ${seq} ${salt} ${crypto.randomBytes(6).toString('base64url')}`;
    const body = JSON.stringify({
      jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text } },
    });
    const r = await post(agent, gw.port, body);
    const fail = (why) => {
      failed += 1;
      if (failures.length < 20) failures.push(`#${seq}: ${why}`);
    };
    if (r.failed) return fail(r.failed);
    if (r.status !== 200) return fail(`HTTP ${r.status} ${r.text.slice(0, 200)}`);
    let msgs;
    try {
      msgs = messagesOf(r);
    } catch {
      return fail(`unparsable body ${r.text.slice(0, 200)}`);
    }
    const foreign = msgs.filter((m) => 'id' in m && m.id !== id);
    if (foreign.length) return fail(`another request's message ${JSON.stringify(foreign[0]).slice(0, 200)}`);
    const mine = msgs.filter((m) => m.id === id && ('result' in m || 'error' in m));
    if (mine.length !== 1) return fail(`${mine.length} responses with my id in ${r.text.slice(0, 200)}`);
    const m = mine[0];
    if (m.error) {
      if (m.error.code === -32000) errors += 1;
      else fail(`error ${JSON.stringify(m.error)}`);
      return;
    }
    const got = m.result?.content?.[0]?.text;
    if (got !== text) return fail(`wrong result ${JSON.stringify(got)} for ${JSON.stringify(text)}`);
    ok += 1;
  }

  async function client(c) {
    while (issued < TOTAL) {
      const seq = issued++;
      await one(agents[c], seq);
      done += 1;
      milestone();
    }
  }

  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  await Promise.all(killing);
  const elapsed = Date.now() - t0;
  // Let the last restart finish and the connections go idle, then measure.
  await waitFor(async () => (await readyzStatus(gw)) === 200, { timeoutMs: 20000, what: '/readyz 200 at the end' });
  await sleep(200);
  const endRss = vmRssKb(gw.pid);

  console.log(`soak: ${TOTAL} requests, ${CLIENTS} clients, ${elapsed} ms ` +
              `(${Math.round((TOTAL * 1000) / elapsed)} req/s); ok=${ok} errors=${errors} ` +
              `failures=${failed}`);
  console.log(`soak: VmRSS after ${WARMUP}-request warm-up (at ${warmAt} ms) ${warmRss} kB, ` +
              `at the end ${endRss} kB (delta ${endRss - warmRss} kB, limit ${RSS_SLACK_KB} kB)`);
  console.log(`soak: kills ${JSON.stringify(kills)}`);

  assert.deepEqual(failures, [], `${failed} requests without a proper answer`);
  assert.equal(ok + errors, TOTAL, 'every request answered');
  assert.equal(kills.length, KILLS, 'the child was killed five times');
  assert.ok(errors <= TOTAL / 10, `errors (${errors}) are the calls the killed children held, not most calls`);
  assert.ok(warmRss !== null, 'a warm-up RSS');
  // Under valgrind the RSS is valgrind's; memcheck's leak report is the
  // check there (a leak makes the gateway exit non-zero).
  if (cmdlineOf(gw.pid).includes('valgrind'))
    console.log('soak: under valgrind, the RSS bound is not checked');
  else
    assert.ok(endRss < warmRss + RSS_SLACK_KB,
              `end RSS ${endRss} kB < warm-up RSS ${warmRss} kB + ${RSS_SLACK_KB} kB`);
  assert.equal(gw.exitInfo(), null, 'the gateway survived');
});
