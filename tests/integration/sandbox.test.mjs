// SPDX-License-Identifier: MIT
//
// The child's sandbox against a hostile MCP server (tests/fixtures/
// hostile-server.mjs): under --sandbox --no-network every escape it tries
// fails and the gateway goes on answering; without --sandbox the secrets
// are still out of its environment and it holds only its three pipes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import {
  MCPGW_BIN, ROOT, callToolRaw, freePort, gatewayEnv, isAlive, killAll, procStatus, readyzStatus, shq,
  sleep, startGateway, textOf, waitFor,
} from './lib.mjs';

after(killAll);

const HOSTILE = path.join(ROOT, 'tests', 'fixtures', 'hostile-server.mjs');
const FIXTURES = path.dirname(HOSTILE);
const TOKEN = 'tok-sandbox-7f3a9c1e5b';
const FLAG_TOKEN = 'tok-flag-0d2e4b6a8c';
const ENV_TOKEN = 'tok-env-1c3e5a7b9d';
const HOSTILE_CMD = `exec ${shq(process.execPath)} ${shq(HOSTILE)}`;

// Runs as root on a kernel with Landlock and seccomp (CI and the dev box).
const check = spawnSync(MCPGW_BIN, ['sandbox-check'], { encoding: 'utf8' });
const CAN_SANDBOX = process.getuid() === 0 && check.status === 0;
const skipSandbox = CAN_SANDBOX ? false : `needs root and a host where sandbox-check passes:\n${check.stdout}`;

/** A scratch tree readable by everyone: only the sandbox keeps the child out. */
function scratch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-hostile-'));
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'home', '.ssh'), { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'home', '.ssh', 'id_rsa'), '-----BEGIN FAKE KEY-----\n', { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'tokens'), `${TOKEN}\n`, { mode: 0o644 });
  fs.mkdirSync(path.join(dir, 'open'), { mode: 0o777 });
  fs.chmodSync(path.join(dir, 'open'), 0o777);
  return dir;
}

/** A TCP listener and a UDP socket on 127.0.0.1 that count what reaches them. */
async function listeners() {
  const seen = { tcp: 0, udp: 0 };
  const tcp = net.createServer((s) => {
    seen.tcp += 1;
    s.destroy();
  });
  await new Promise((r) => tcp.listen(0, '127.0.0.1', r));
  const udp = dgram.createSocket('udp4');
  udp.on('message', () => {
    seen.udp += 1;
  });
  await new Promise((r) => udp.bind(0, '127.0.0.1', r));
  return {
    seen,
    tcpPort: tcp.address().port,
    udpPort: udp.address().port,
    close: () => {
      tcp.close();
      udp.close();
    },
  };
}

const AUTH = { headers: { authorization: `Bearer ${TOKEN}` } };

/** Calls a hostile tool; its JSON answer, or { rpcError } when the call failed. */
async function hostile(gw, name, args = {}) {
  const { response } = await callToolRaw(gw.url, name, args, { ...AUTH, timeoutMs: 30000 });
  if (response?.error) return { rpcError: response.error };
  return JSON.parse(textOf(response));
}

function childPid(gw) {
  const m = [...gw.log().matchAll(/child: pid=(\d+) started/g)].pop();
  return m ? Number(m[1]) : null;
}

const gatewayEnvVars = {
  ACCESS_TOKEN: ENV_TOKEN,
  MY_API_KEY: TOKEN, // a token-file token, under another name
  PLAIN_VAR: 'plain value',
  MCPGW_LOG_LEVEL: 'info', // the gateway's own: not the server's business
};

describe('hostile server under --sandbox --no-network', { skip: skipSandbox }, () => {
  let gw;
  let dir;
  let net0;
  before(async () => {
    dir = scratch();
    net0 = await listeners();
    gw = await startGateway([
      '--stdio', HOSTILE_CMD, '--auth-token-file', path.join(dir, 'tokens'),
      '--auth-token', FLAG_TOKEN,
      '--sandbox', '--no-network', '--allow-read', FIXTURES,
      '--child-procs', '64', '--child-memory', '256M',
    ], { env: gatewayEnvVars });
  });
  after(async () => {
    await gw?.stop();
    net0?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the start-up line says what is in force', () => {
    assert.match(gw.log(), /sandbox strict: user 65534:65534, workdir \/\S+, env allowlist/);
    assert.match(gw.log(), /Landlock ABI \d+/);
    assert.match(gw.log(), /no network \(own namespace/);
    assert.match(gw.log(), /seccomp/);
    assert.match(gw.log(), /the MCP server runs as nobody/);
  });

  test('it runs as nobody with no_new_privs and a seccomp filter', () => {
    const pid = childPid(gw);
    assert.ok(pid, gw.log());
    assert.match(procStatus(pid, 'Uid'), /^65534\s+65534\s+65534\s+65534$/);
    assert.equal(procStatus(pid, 'NoNewPrivs'), '1');
    assert.equal(procStatus(pid, 'Seccomp'), '2');
    assert.match(procStatus(pid, 'CapEff'), /^0+$/);
  });

  test('a fake ~/.ssh/id_rsa outside its paths: EACCES', async () => {
    const r = await hostile(gw, 'read_file', { path: path.join(dir, 'home', '.ssh', 'id_rsa') });
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.equal(r.code, 'EACCES');
  });

  test("the gateway's token file: EACCES", async () => {
    const r = await hostile(gw, 'read_file', { path: path.join(dir, 'tokens') });
    assert.deepEqual([r.ok, r.code], [false, 'EACCES'], JSON.stringify(r));
  });

  test("the gateway's /proc/<pid>/environ and /proc/<pid>/mem, directly and via cat", async () => {
    for (const tool of ['proc_environ', 'proc_mem']) {
      const r = await hostile(gw, tool, { pid: gw.pid });
      assert.equal(r.ok, false, `${tool}: ${JSON.stringify(r)}`);
      assert.match(r.code, /EACCES|EPERM/);
    }
    const r = await hostile(gw, 'cat', { path: `/proc/${gw.pid}/environ` });
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.match(r.stderr, /Permission denied/);
    assert.doesNotMatch(r.stdout, /tok-/);
  });

  test('its environment is the allowlist, with HOME in its work directory', async () => {
    const { env } = await hostile(gw, 'environ');
    const allowed = /^(PATH|HOME|TMPDIR|PWD|LANG|LANGUAGE|LC_.*|TZ|NODE_.*|npm_config_.*|NPM_CONFIG_.*)$/;
    for (const k of Object.keys(env)) assert.match(k, allowed, `unexpected ${k}`);
    for (const v of Object.values(env)) assert.doesNotMatch(v, /tok-/);
    assert.match(env.HOME, /^\/tmp\/mcpgw-/);
    assert.equal(env.PLAIN_VAR, undefined);
  });

  test('writing outside its work directory: EACCES; inside: allowed', async () => {
    const outside = path.join(dir, 'open', 'pwned');
    const r = await hostile(gw, 'write_file', { path: outside });
    assert.deepEqual([r.ok, r.code], [false, 'EACCES'], JSON.stringify(r));
    assert.equal(fs.existsSync(outside), false);
    const { env } = await hostile(gw, 'environ');
    const inside = await hostile(gw, 'write_file', { path: path.join(env.HOME, 'scratch.txt') });
    assert.equal(inside.ok, true, JSON.stringify(inside));
    assert.equal(fs.statSync(env.HOME).mode & 0o777, 0o700);
    assert.equal(fs.statSync(env.HOME).uid, 65534);
  });

  test('TCP and UDP to the host loopback go nowhere', async () => {
    const c = await hostile(gw, 'connect', { port: net0.tcpPort });
    assert.equal(c.ok, false, JSON.stringify(c));
    const u = await hostile(gw, 'udp', { port: net0.udpPort });
    assert.equal(u.ok, false, JSON.stringify(u));
    await sleep(100);
    assert.deepEqual(net0.seen, { tcp: 0, udp: 0 });
  });

  test('ptrace of a process of its own, and a signal to the gateway: refused', async () => {
    const p = await hostile(gw, 'ptrace');
    // The tool knows x86_64's numbers only.
    assert.deepEqual([p.ok, p.code], [false, process.arch === 'x64' ? 'EPERM' : 'ENOSYS'], JSON.stringify(p));
    const k = await hostile(gw, 'kill', { pid: gw.pid });
    assert.deepEqual([k.ok, k.code], [false, 'EPERM'], JSON.stringify(k));
  });

  test('system calls an MCP server never needs: EPERM from the filter', { skip: process.arch !== 'x64' && 'x86_64 numbers' }, async () => {
    const r = await hostile(gw, 'syscalls');
    const names = ['ptrace', 'mount', 'kexec_load', 'keyctl', 'unshare', 'perf_event_open', 'setns', 'bpf'];
    assert.deepEqual(Object.keys(r.calls ?? {}).sort(), [...names].sort(), JSON.stringify(r));
    for (const n of names) assert.equal(r.calls[n], 'EPERM', `${n}: ${JSON.stringify(r)}`);
  });

  test('only its three pipes: no socket or file of the gateway', () => {
    const pid = childPid(gw);
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (Number(fd) <= 2) continue;
      assert.doesNotMatch(target, /^socket:|^\/(?!dev\/null$)/, `fd ${fd} -> ${target}`);
    }
  });

  test('forking past --child-procs fails with EAGAIN', async () => {
    const r = await hostile(gw, 'fork', { n: 100 });
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.ok(r.started < 64, JSON.stringify(r));
    assert.equal(r.error, 'EAGAIN');
    assert.equal((await hostile(gw, 'ping')), 'pong');
  });

  test('allocating past --child-memory ends the child; the gateway goes on', async () => {
    const before = childPid(gw);
    const r = await hostile(gw, 'alloc', { mb: 1024 });
    if (r.rpcError) {
      // Killed by the cgroup's OOM killer: a child exit like any other.
      assert.equal(r.rpcError.code, -32000);
      await gw.waitForLog(/killed by its memory limit/);
    } else {
      // No cgroup on this host: RLIMIT_AS refused the allocation.
      assert.equal(r.ok, false, JSON.stringify(r));
      assert.ok(r.mb < 1024);
    }
    await waitFor(async () => (await readyzStatus(gw)) === 200, { timeoutMs: 10000, what: '/readyz 200' });
    assert.equal(await hostile(gw, 'ping'), 'pong');
    if (r.rpcError) assert.notEqual(childPid(gw), before, 'restarted');
  });
});

describe('limits that end the child, and --user', { skip: skipSandbox }, () => {
  test('--child-cpu: killed by SIGXCPU, said in the log, restarted', async (t) => {
    const dir = scratch();
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const gw = await startGateway(['--stdio', HOSTILE_CMD, '--auth-token-file', path.join(dir, 'tokens'),
      '--sandbox', '--allow-read', FIXTURES, '--child-cpu', '1'], { t });
    assert.match(gw.log(), /, cpu 1s/);
    const first = childPid(gw);
    const r = await hostile(gw, 'spin', { ms: 10000 });
    assert.equal(r.rpcError?.code, -32000, JSON.stringify(r));
    await gw.waitForLog(/killed by its CPU time limit \(--child-cpu 1s\)/);
    await waitFor(async () => (await readyzStatus(gw)) === 200, { timeoutMs: 10000, what: '/readyz 200' });
    assert.equal(await hostile(gw, 'ping'), 'pong');
    assert.notEqual(childPid(gw), first);
    await gw.stop();
  });

  test('--env passes or sets a variable; --child-files caps its descriptors', async (t) => {
    const dir = scratch();
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const gw = await startGateway(['--stdio', HOSTILE_CMD, '--auth-token-file', path.join(dir, 'tokens'),
      '--sandbox', '--allow-read', FIXTURES, '--env', 'PLAIN_VAR', '--env', 'SET_VAR=set here',
      '--child-files', '64'], { t, env: gatewayEnvVars });
    assert.match(gw.log(), /env allowlist \+2 --env/);
    const { env } = await hostile(gw, 'environ');
    assert.equal(env.PLAIN_VAR, 'plain value');
    assert.equal(env.SET_VAR, 'set here');
    assert.equal(env.MY_API_KEY, undefined);
    assert.match(fs.readFileSync(`/proc/${childPid(gw)}/limits`, 'utf8'), /Max open files\s+64\s+64/);
    await gw.stop();
  });

  test('--user UID:GID runs it as that user and gives it the work directory', async (t) => {
    const dir = scratch();
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const gw = await startGateway(['--stdio', HOSTILE_CMD, '--auth-token-file', path.join(dir, 'tokens'),
      '--sandbox', '--allow-read', FIXTURES, '--user', '12345:23456'], { t });
    const pid = childPid(gw);
    assert.match(procStatus(pid, 'Uid'), /^12345\s+12345\s+12345\s+12345$/);
    assert.match(procStatus(pid, 'Gid'), /^23456\s+23456\s+23456\s+23456$/);
    assert.equal(procStatus(pid, 'Groups'), '23456');
    const { env } = await hostile(gw, 'environ');
    assert.equal(fs.statSync(env.HOME).uid, 12345);
    const w = await hostile(gw, 'write_file', { path: path.join(env.HOME, 'x') });
    assert.equal(w.ok, true, JSON.stringify(w));
    await gw.stop();
  });
});

/**
 * Starts the gateway with two extra descriptors (3 and 4, not
 * close-on-exec: inherited from us), which the child must not get.
 */
async function startWithExtraFds(args, env) {
  const port = await freePort();
  const proc = spawn(MCPGW_BIN, ['--port', String(port), ...args], {
    env: gatewayEnv(env),
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => {
    log += d;
  });
  const gw = { proc, pid: proc.pid, port, url: `http://127.0.0.1:${port}/mcp`, base: `http://127.0.0.1:${port}`, log: () => log };
  await waitFor(async () => (await readyzStatus(gw)) === 200, { timeoutMs: 15000, what: `ready (${log})` });
  return gw;
}

describe('hostile server without --sandbox', () => {
  let gw;
  let dir;
  before(async () => {
    dir = scratch();
    // ls, in a subshell (so that the shell itself saves no descriptor for
    // the redirection), lists the shell's descriptors.
    const cmd = `(ls -l /proc/$$/fd >&2); ${HOSTILE_CMD}`;
    gw = await startWithExtraFds([
      '--stdio', cmd, '--auth-token-file', path.join(dir, 'tokens'), '--auth-token', FLAG_TOKEN,
    ], gatewayEnvVars);
  });
  after(() => {
    if (gw && gw.proc.exitCode === null) gw.proc.kill('SIGKILL');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('no secret reaches its environment, other variables do', async () => {
    const { env } = await hostile(gw, 'environ');
    for (const [k, v] of Object.entries(env)) {
      assert.ok(!k.startsWith('MCPGW_'), k);
      for (const t of [TOKEN, FLAG_TOKEN, ENV_TOKEN]) assert.ok(!v.includes(t), `${k} holds a token`);
    }
    assert.equal(env.ACCESS_TOKEN, undefined);
    assert.equal(env.MY_API_KEY, undefined, 'a variable holding a token-file token');
    assert.equal(env.PLAIN_VAR, 'plain value');
    assert.match(gw.log(), /MY_API_KEY holds an accepted token: not passed/);
    // Nor in what it can read of the gateway itself: the tokens in the
    // gateway's environment and command line are overwritten at start.
    for (const file of ['environ', 'cmdline']) {
      const p = await hostile(gw, 'read_file', { path: `/proc/${gw.pid}/${file}` });
      if (p.ok) for (const t of [TOKEN, FLAG_TOKEN, ENV_TOKEN]) assert.ok(!p.data.includes(t), `${file} holds a token`);
    }
    // The sandbox is what keeps files out: here they are readable.
    const r = await hostile(gw, 'read_file', { path: path.join(dir, 'home', '.ssh', 'id_rsa') });
    assert.equal(r.ok, true, JSON.stringify(r));
  });

  test('it starts with descriptors 0, 1 and 2 only, though the gateway holds more', async () => {
    assert.ok(fs.existsSync(`/proc/${gw.pid}/fd/3`), 'the gateway has fd 3');
    // What the shell was handed.
    const fds = new Map([...gw.log().matchAll(/stderr: \S+ .* (\d+) -> (\S+)$/gm)]
      .map((m) => [Number(m[1]), m[2]]));
    assert.deepEqual([0, 1, 2].map((fd) => fds.has(fd)), [true, true, true], gw.log());
    assert.deepEqual([...fds.keys()].sort(), [0, 1, 2], gw.log());
    // And what the server itself had at its first line of code.
    const { start } = await hostile(gw, 'fds');
    for (const [fd, target] of Object.entries(start)) {
      if (Number(fd) <= 2) assert.match(target, /^(socket|pipe):/, `fd ${fd}`);
      else assert.doesNotMatch(target, /^socket:|^\/(?!dev\/null$)/, `fd ${fd} -> ${target} (node's own are pipes and anon inodes)`);
    }
  });

  test('no_new_privs, a process group of its own, and SIGKILL when the gateway dies', async () => {
    const pid = childPid(gw);
    assert.equal(procStatus(pid, 'NoNewPrivs'), '1');
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    assert.equal(pgid, pid);
    gw.proc.kill('SIGKILL');
    await waitFor(() => !isAlive(pid), { timeoutMs: 5000, what: `child ${pid} to die with the gateway` });
  });
});
