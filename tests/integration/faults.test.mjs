// The MCP server misbehaves: exits mid-call, writes garbage, stops reading
// its stdin, closes its stdout but keeps running, ignores SIGTERM, forks
// grandchildren and exits. For each: every caller gets an answer (a result
// or a JSON-RPC error), /readyz comes back to 200, and no process or
// descriptor is left behind (the gateway's descriptors and its descendant
// processes come back to what they were before the fault).
//
// Calls after the baseline go over node:http without keep-alive, so the
// test's own connections hold no descriptor in the gateway; idle keep-alive
// sockets of fetch's pool (from startGateway's polling) are not counted
// (see serverFds).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import {
  callToolOnce, descendantPids, descendants, fixtureCmd, isAlive, killAll,
  ppidOf, procState, readyzStatus, serverFds, sleep, startGateway, textOf,
  waitFor,
} from './lib.mjs';

after(killAll);

const tag = `${process.pid}-${Date.now()}`;

function fdTargets(pid) {
  const out = [];
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        out.push(`${fd}->${fs.readlinkSync(`/proc/${pid}/fd/${fd}`)}`);
      } catch {}
    }
  } catch {}
  return out.join(' ');
}

// The gateway's descriptors and descendants once they hold still.
async function baseline(gw) {
  let prev = null;
  let same = 0;
  let cur;
  await waitFor(() => {
    cur = { fds: serverFds(gw.pid, gw.port), procs: descendants(gw.pid) };
    same = prev && prev.fds === cur.fds && prev.procs === cur.procs ? same + 1 : 0;
    prev = cur;
    return same >= 3;
  }, { timeoutMs: 5000, intervalMs: 50, what: 'stable descriptor and process counts' });
  cur.fdList = fdTargets(gw.pid);
  return cur;
}

async function assertBackToBaseline(gw, base, what) {
  let cur;
  try {
    await waitFor(() => {
      cur = { fds: serverFds(gw.pid, gw.port), procs: descendants(gw.pid) };
      return cur.fds === base.fds && cur.procs === base.procs;
    }, { timeoutMs: 5000, intervalMs: 50, what: `descriptors and processes back to the baseline after ${what}` });
  } catch (e) {
    assert.fail(`${e.message}\nbaseline: ${base.fds} fds, ${base.procs} processes; ` +
                `now: ${cur.fds} fds, ${cur.procs} processes ` +
                `(tree ${descendantPids(gw.pid).join(',')})\n` +
                `fds before: ${base.fdList}\nfds now:    ${fdTargets(gw.pid)}`);
  }
}

async function assertReady(gw, what) {
  await waitFor(async () => (await readyzStatus(gw)) === 200,
                { timeoutMs: 10000, intervalMs: 50, what: `/readyz 200 after ${what}` });
}

async function childPid(gw) {
  return Number(textOf((await callToolOnce(gw.url, 'pid')).response));
}

// Each caller got a JSON-RPC answer: a result or an error.
function assertAnswered(r, label) {
  assert.ok(r.response, `${label}: a JSON-RPC answer (HTTP ${r.res.status} ${r.res.text.slice(0, 300)})`);
  assert.ok('result' in r.response || 'error' in r.response, `${label}: result or error`);
}

async function echoWorks(gw, what) {
  const text = `echo after ${what} ${tag}`;
  const r = await callToolOnce(gw.url, 'echo', { text }, { timeoutMs: 10000 });
  assert.equal(textOf(r.response), text);
}

test('the child exits mid-call', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const pid1 = await childPid(gw);
  const base = await baseline(gw);

  const sleepers = [0, 1, 2].map((i) =>
    callToolOnce(gw.url, 'sleep', { ms: 3000, text: `crash-${i}-${tag}` }, { timeoutMs: 10000 }));
  for (const i of [0, 1, 2]) await gw.waitForLog(new RegExp(`text=crash-${i}-${tag}`), 5000);
  const crash = await callToolOnce(gw.url, 'crash', {}, { timeoutMs: 10000 });
  assertAnswered(crash, 'the crash call');
  for (const [i, r] of (await Promise.all(sleepers)).entries()) {
    assertAnswered(r, `sleeper ${i}`);
    assert.equal(r.response.error?.code, -32000, JSON.stringify(r.response));
  }

  await assertReady(gw, 'the crash');
  const pid2 = await childPid(gw);
  assert.notEqual(pid2, pid1, 'a new child');
  assert.equal(isAlive(pid1), false, 'the old child is gone');
  await echoWorks(gw, 'the crash');
  await assertBackToBaseline(gw, base, 'the crash');
});

test('the child writes garbage on stdout', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  await childPid(gw);
  const base = await baseline(gw);

  const r = await callToolOnce(gw.url, 'garbage', {}, { timeoutMs: 10000 });
  assertAnswered(r, 'garbage');
  assert.equal(textOf(r.response), 'ok', 'the answer after the garbage arrives');
  // Garbage between concurrent calls does not mix them up.
  const rs = await Promise.all([0, 1, 2, 3].map((i) => i % 2
    ? callToolOnce(gw.url, 'garbage', {}, { timeoutMs: 10000 })
    : callToolOnce(gw.url, 'echo', { text: `g${i}-${tag}` }, { timeoutMs: 10000 })));
  rs.forEach((x, i) => assert.equal(textOf(x.response), i % 2 ? 'ok' : `g${i}-${tag}`));

  await assertReady(gw, 'the garbage');
  await echoWorks(gw, 'the garbage');
  await assertBackToBaseline(gw, base, 'the garbage');
});

test('the child stops reading stdin: 503 once the queue is full, written calls time out', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--max-stdin-queue', '64K',
                                 '--request-timeout', '2s'], { t });
  await childPid(gw);
  const base = await baseline(gw);

  const s = await callToolOnce(gw.url, 'stop_reading', {}, { timeoutMs: 10000 });
  assert.equal(textOf(s.response), 'ok');
  await gw.waitForLog(/fixture: stop_reading/, 3000);

  const big = 'x'.repeat(32 * 1024);
  const calls = [];
  let refused = false;
  for (let i = 0; i < 200 && !refused; i++) {
    calls.push(callToolOnce(gw.url, 'echo', { text: `${big}-${i}` }, { timeoutMs: 15000 })
      .then((r) => {
        if (r.res.status === 503) refused = true;
        return r;
      }, (e) => ({ failed: e })));
    await sleep(15);
  }
  const results = await Promise.all(calls);
  let n503 = 0;
  let n32001 = 0;
  for (const [i, r] of results.entries()) {
    assert.ok(!r.failed, `call ${i} got an HTTP answer: ${r.failed?.message}`);
    if (r.res.status === 503) {
      n503 += 1;
      const body = JSON.parse(r.res.text);
      assert.equal(body.error?.code, -32000, r.res.text);
      assert.equal(body.error?.message, 'MCP server is not reading its input', r.res.text);
    } else {
      assert.equal(r.res.status, 200, `call ${i}: HTTP ${r.res.status} ${r.res.text.slice(0, 200)}`);
      assertAnswered(r, `call ${i}`);
      assert.equal(r.response.error?.code, -32001, `call ${i}: ${JSON.stringify(r.response).slice(0, 200)}`);
      n32001 += 1;
    }
  }
  t.diagnostic(`${results.length} calls of 32 KB: ${n503} refused with 503, ${n32001} timed out with -32001`);
  assert.ok(n503 >= 1, `a call was refused with 503 (${results.length} sent)`);
  assert.ok(n32001 >= 1, `the calls written before the queue filled time out with -32001 (${n32001})`);

  await assertReady(gw, 'the stuck stdin');
  await assertBackToBaseline(gw, base, 'the stuck stdin');
});

test('the child closes stdout but keeps running: stopped, in-flight calls fail, restarted', async (t) => {
  // exec: the fixture is the only holder of the stdout pipe's write end.
  const gw = await startGateway(['--stdio', fixtureCmd({}, { exec: true })], { t });
  const pid1 = await childPid(gw);
  const base = await baseline(gw);

  const sleepers = [0, 1].map((i) =>
    callToolOnce(gw.url, 'sleep', { ms: 5000, text: `cs-${i}-${tag}` }, { timeoutMs: 15000 }));
  for (const i of [0, 1]) await gw.waitForLog(new RegExp(`text=cs-${i}-${tag}`), 5000);
  const t0 = Date.now();
  const closer = callToolOnce(gw.url, 'close_stdout', {}, { timeoutMs: 15000 });

  await gw.waitForLog(/closed stdout/, 5000);
  for (const [i, r] of [...(await Promise.all(sleepers)), await closer].entries()) {
    assertAnswered(r, `in-flight call ${i}`);
    assert.equal(r.response.error?.code, -32000, JSON.stringify(r.response));
  }
  assert.ok(Date.now() - t0 < 4500, `the in-flight calls failed ${Date.now() - t0} ms after the close (before the sleeps ended)`);

  await assertReady(gw, 'the closed stdout');
  const pid2 = await childPid(gw);
  assert.notEqual(pid2, pid1, 'a new child');
  await waitFor(() => !isAlive(pid1), { timeoutMs: 5000, what: 'the old child to be gone' });
  await echoWorks(gw, 'the closed stdout');
  await assertBackToBaseline(gw, base, 'the closed stdout');
});

test('the child ignores SIGTERM: shutdown with --kill-grace 1s still exits 0 promptly', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd({ FIXTURE_IGNORE_SIGTERM: 1 }),
                                 '--kill-grace', '1s'], { t });
  const nodePid = await childPid(gw);
  const tree = descendantPids(gw.pid);
  assert.ok(tree.includes(nodePid), `the fixture ${nodePid} is in the tree ${tree}`);
  await gw.waitForLog(/fixture: ignoring SIGTERM/, 3000);

  const t0 = Date.now();
  const info = await gw.stop('SIGTERM', 10000);
  const ms = Date.now() - t0;
  assert.deepEqual(info, { code: 0, signal: null }, gw.log().split('\n').slice(-10).join('\n'));
  t.diagnostic(`exited ${ms} ms after SIGTERM`);
  assert.ok(ms < 4000, `exited ${ms} ms after SIGTERM (want < 4000)`);
  await waitFor(() => tree.every((p) => !isAlive(p)),
                { timeoutMs: 3000, what: `the child tree ${tree} to be gone` });
  assert.equal(isAlive(nodePid), false, 'the SIGTERM-ignoring child is gone');
});

test('the child forks grandchildren and exits: the group goes with it', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const pid1 = await childPid(gw);
  const base = await baseline(gw);

  const r = await callToolOnce(gw.url, 'fork_and_exit', { n: 3 }, { timeoutMs: 10000 });
  assertAnswered(r, 'fork_and_exit');
  assert.ok(r.response.error, `the call fails: ${JSON.stringify(r.response)}`);
  const [, list] = await gw.waitForLog(/fixture: fork_and_exit pids=([\d,]+)/, 3000);
  const grand = list.split(',').map(Number);
  assert.equal(grand.length, 3);

  await assertReady(gw, 'fork_and_exit');
  const pid2 = await childPid(gw);
  assert.notEqual(pid2, pid1, 'a new child');
  // Gone: not running anywhere, and not a zombie the gateway failed to reap.
  await waitFor(() => grand.every((p) => !isAlive(p) && !(procState(p) === 'Z' && ppidOf(p) === gw.pid)),
                { timeoutMs: 5000, what: `the grandchildren ${grand} to be gone ` });
  await echoWorks(gw, 'fork_and_exit');
  await assertBackToBaseline(gw, base, 'fork_and_exit');
});

test('a simple --stdio command runs with exec: the server is the gateway\'s own child, and its closed stdout is seen at once; a compound one keeps its shell', async (t) => {
  // No `exec` in the command: the gateway adds it, since it is one word list.
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const pid = await childPid(gw);
  assert.equal(ppidOf(pid), gw.pid, 'the fixture is the gateway\'s child, no shell between');
  const t0 = Date.now();
  const closer = callToolOnce(gw.url, 'close_stdout', {}, { timeoutMs: 15000 });
  await gw.waitForLog(/closed stdout/, 5000);
  assertAnswered(await closer, 'the call that closed stdout');
  assert.ok(Date.now() - t0 < 4000, `the close was seen in ${Date.now() - t0} ms, not at the server's exit`);
  await waitFor(async () => (await readyzStatus(gw)) === 200, { timeoutMs: 10000, what: 'ready again' });

  // `;` makes it two commands: the shell stays, and runs both.
  const two = await startGateway(['--stdio', `true; ${fixtureCmd()}`], { t });
  const pid2 = await childPid(two);
  assert.notEqual(ppidOf(pid2), two.pid, 'the shell stays the parent of a compound command');
  assert.equal(ppidOf(ppidOf(pid2)), two.pid);
});
