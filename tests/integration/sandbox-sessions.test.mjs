// SPDX-License-Identifier: MIT
//
// Under --sandbox --stateful every session's MCP server has a cgroup of
// its own, below the gateway's: --child-memory and --child-procs bound
// each child, not all of them together. One session's child that passes
// its memory cap is killed (the log says which limit), the other session
// goes on, and each child's cgroup is gone once its session ends.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import {
  MCPGW_BIN, ROOT, callToolRaw, deleteSession, isAlive, killAll, openSession, shq, startGateway, textOf,
  waitFor,
} from './lib.mjs';

after(killAll);

const HOSTILE = path.join(ROOT, 'tests', 'fixtures', 'hostile-server.mjs');
const FIXTURES = path.dirname(HOSTILE);
const HOSTILE_CMD = `exec ${shq(process.execPath)} ${shq(HOSTILE)}`;
const MEMORY_MB = 192;
const HOLD_MB = 96; // two of them pass MEMORY_MB together, not each

const check = spawnSync(MCPGW_BIN, ['sandbox-check'], { encoding: 'utf8' });
const skip = process.getuid() === 0 && check.status === 0 &&
  /^ {2}cgroup: memory and tasks +available/m.test(check.stdout)
  ? false : `needs root, sandbox-check to pass and a cgroup:\n${check.stdout}`;

/** Calls a hostile tool in session sid: its JSON answer, or { rpcError }. */
async function hostile(gw, sid, name, args = {}) {
  const { res, response } = await callToolRaw(gw.url, name, args,
    { headers: { 'mcp-session-id': sid }, timeoutMs: 30000 });
  assert.equal(res.status, 200, `${name}: HTTP ${res.status} ${res.text}`);
  if (response?.error) return { rpcError: response.error };
  return JSON.parse(textOf(response));
}

/** The cgroup directory the gateway logged for pid. */
function cgroupOf(gw, pid) {
  const m = gw.log().match(new RegExp(`sandbox: pid=${pid} cgroup (\\S+) \\(memory ${MEMORY_MB}M, tasks 64\\)`));
  assert.ok(m, `a cgroup line for pid ${pid}:\n${gw.log()}`);
  return m[1];
}

/** The memory limit set in a child's cgroup (v1 or v2), in bytes. */
function memoryLimit(dir) {
  for (const f of ['memory.limit_in_bytes', 'memory.max']) {
    const p = path.join(dir, f);
    if (fs.existsSync(p)) return Number(fs.readFileSync(p, 'utf8'));
  }
  return null;
}

/** The memory a child's cgroup is charged now (v1 or v2), in bytes. */
function memoryUsage(dir) {
  for (const f of ['memory.usage_in_bytes', 'memory.current']) {
    const p = path.join(dir, f);
    if (fs.existsSync(p)) return Number(fs.readFileSync(p, 'utf8'));
  }
  return null;
}

const V2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');

/** pid's memory and pids cgroups, as /proc/<pid>/cgroup has them. */
function procCgroups(pid) {
  return fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')
    .map((l) => l.split(':'))
    .filter(([, ctl]) => (V2 ? ctl === '' : /\b(memory|pids)\b/.test(ctl)))
    .map(([, , p]) => p);
}

describe('a cgroup per session under --sandbox --stateful', { skip }, () => {
  let gw;
  let a;
  let b;
  before(async () => {
    gw = await startGateway(['--stateful', '--stdio', HOSTILE_CMD, '--sandbox',
      '--allow-read', FIXTURES, '--child-memory', `${MEMORY_MB}M`, '--child-procs', '64'],
    { timeoutMs: 20000 });
    a = { sid: (await openSession(gw.url)).sid };
    b = { sid: (await openSession(gw.url)).sid };
    for (const s of [a, b]) {
      s.pid = await hostile(gw, s.sid, 'pid');
      s.dir = cgroupOf(gw, s.pid);
    }
  });
  after(async () => {
    await gw?.stop();
  });

  test('each child is in a cgroup of its own, with the limits, below the gateway\'s', () => {
    assert.match(gw.log(), new RegExp(`memory ${MEMORY_MB}M, tasks 64 \\(cgroup v\\d, each child its own\\)`));
    assert.notEqual(a.dir, b.dir);
    assert.equal(path.dirname(a.dir), path.dirname(b.dir));
    assert.match(path.basename(path.dirname(a.dir)), new RegExp(`^mcpgw-child\\.\\d+\\.${gw.pid}$`));
    for (const s of [a, b]) {
      assert.equal(memoryLimit(s.dir), MEMORY_MB << 20, s.dir);
      const leaf = path.basename(s.dir);
      const groups = procCgroups(s.pid);
      assert.ok(groups.length > 0 && groups.every((g) => g.endsWith(`/${leaf}`)),
        `pid ${s.pid} in ${leaf}: ${groups}`);
    }
  });

  test('the limits bind each child: both hold what together passes the cap', async () => {
    for (const s of [a, b]) {
      const r = await hostile(gw, s.sid, 'alloc', { mb: HOLD_MB, hold: true });
      assert.deepEqual([r.ok, r.mb], [true, HOLD_MB], JSON.stringify(r));
    }
    // Together they are charged more than one cap: a shared cgroup would
    // have killed one of them.
    const used = memoryUsage(a.dir) + memoryUsage(b.dir);
    assert.ok(used > MEMORY_MB << 20, `${used} bytes charged to both`);
  });

  test('one session passes its cap: that child is killed and said so, the other goes on', async () => {
    const r = await hostile(gw, a.sid, 'alloc', { mb: 1024 });
    assert.equal(r.rpcError?.code, -32000, JSON.stringify(r));
    await gw.waitForLog(new RegExp(`sandbox: pid=${a.pid}: killed by its memory limit \\(--child-memory ${MEMORY_MB}M`));
    assert.equal(await hostile(gw, b.sid, 'ping'), 'pong');
    assert.equal(await hostile(gw, b.sid, 'pid'), b.pid, 'the same child, still up');
    await waitFor(() => !fs.existsSync(a.dir), { timeoutMs: 5000, what: `${a.dir} removed` });
    assert.ok(fs.existsSync(b.dir), `${b.dir} is still there`);
  });

  test('what a child left running outside its process group dies with its cgroup', async () => {
    const c = { sid: (await openSession(gw.url)).sid };
    c.pid = await hostile(gw, c.sid, 'pid');
    c.dir = cgroupOf(gw, c.pid);
    const o = await hostile(gw, c.sid, 'orphan');
    assert.equal(o.ok, true, JSON.stringify(o));
    assert.ok(isAlive(o.pid));
    assert.ok(procCgroups(o.pid).every((g) => g.endsWith(`/${path.basename(c.dir)}`)));
    assert.equal((await deleteSession(gw.url, c.sid)).status, 200);
    await waitFor(() => !isAlive(o.pid), { timeoutMs: 5000, what: `the orphan ${o.pid} killed` });
    await waitFor(() => !fs.existsSync(c.dir), { timeoutMs: 5000, what: `${c.dir} removed` });
    assert.equal(await hostile(gw, b.sid, 'ping'), 'pong');
  });

  test('a session that ends takes its cgroup along; the gateway\'s goes at exit', async () => {
    assert.equal((await deleteSession(gw.url, b.sid)).status, 200);
    await waitFor(() => !fs.existsSync(b.dir), { timeoutMs: 5000, what: `${b.dir} removed` });
    const parent = path.dirname(b.dir);
    assert.ok(fs.existsSync(parent));
    await gw.stop();
    assert.equal(fs.existsSync(parent), false, `${parent} removed at exit`);
  });
});
