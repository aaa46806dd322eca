#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// Runs the hostile MCP server (tests/fixtures/hostile-server.mjs) behind
// mcpgw twice, without --sandbox and with --sandbox --no-network, makes
// every escape attempt in both, and prints a Markdown table of what each
// got. Needs root (the sandboxed server then runs as nobody) and a build
// in build/. Usage: node bench/sandbox-escapes.mjs

import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import {
  ROOT, callToolRaw, killAll, readyzStatus, shq, startGateway, textOf, waitFor,
} from '../tests/integration/lib.mjs';

const HOSTILE = path.join(ROOT, 'tests', 'fixtures', 'hostile-server.mjs');
const TOKEN = 'tok-file-5e7a1c3b9d';
const FLAG_TOKEN = 'tok-flag-2b4d6f8a0c';
const ENV_TOKEN = 'tok-env-9c7e5a3b1d';
const TOKENS = [TOKEN, FLAG_TOKEN, ENV_TOKEN];
const MEMORY_MB = 256;
const PROCS = 64;

function scratch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-escapes-'));
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'home', '.ssh'), { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'home', '.ssh', 'id_rsa'), '-----BEGIN FAKE KEY-----\n', { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'tokens'), `${TOKEN}\n`, { mode: 0o644 });
  fs.mkdirSync(path.join(dir, 'open'), { mode: 0o777 });
  fs.chmodSync(path.join(dir, 'open'), 0o777);
  return dir;
}

async function listeners() {
  const seen = { tcp: 0, udp: 0 };
  const tcp = net.createServer((s) => {
    seen.tcp += 1;
    s.on('error', () => {});
    setTimeout(() => s.destroy(), 500); // after the server's 50 ms wait
  });
  await new Promise((r) => tcp.listen(0, '127.0.0.1', r));
  const udp = dgram.createSocket('udp4');
  udp.on('message', () => {
    seen.udp += 1;
  });
  await new Promise((r) => udp.bind(0, '127.0.0.1', r));
  return { seen, tcp: tcp.address().port, udp: udp.address().port, close: () => (tcp.close(), udp.close()) };
}

const hasToken = (s) => TOKENS.some((t) => String(s).includes(t));
const refusal = (r) => `refused: ${r.code ?? 'error'}`;

/** Every attempt as [row, async (gw, ctx) => cell]. */
const ATTEMPTS = [
  ['read a fake ~/.ssh/id_rsa', async (call, c) => {
    const r = await call('read_file', { path: path.join(c.dir, 'home', '.ssh', 'id_rsa') });
    return r.ok ? `read (${r.data.length} bytes)` : refusal(r);
  }],
  ['read the gateway\'s token file', async (call, c) => {
    const r = await call('read_file', { path: path.join(c.dir, 'tokens') });
    return r.ok ? `read${hasToken(r.data) ? ', token in it' : ''}` : refusal(r);
  }],
  ['read /proc/<gateway>/environ', async (call, c) => {
    const r = await call('proc_environ', { pid: c.gw.pid });
    return r.ok ? `read, ${hasToken(r.data) ? 'TOKENS IN IT' : 'no token in it (overwritten at start)'}` : refusal(r);
  }],
  ['read /proc/<gateway>/cmdline', async (call, c) => {
    const r = await call('read_file', { path: `/proc/${c.gw.pid}/cmdline` });
    return r.ok ? `read, ${hasToken(r.data) ? 'TOKENS IN IT' : 'no token in it (overwritten at start)'}` : refusal(r);
  }],
  ['list its environment', async (call) => {
    const { env } = await call('environ');
    const keys = Object.keys(env);
    const secret = keys.filter((k) => k === 'ACCESS_TOKEN' || k.startsWith('MCPGW_') || hasToken(env[k]));
    return `${keys.length} variables, ${secret.length ? `SECRETS: ${secret}` : 'no secret'}` +
      `, PLAIN_VAR ${'PLAIN_VAR' in env ? 'passed' : 'not passed'}`;
  }],
  ['write outside its work directory', async (call, c) => {
    const r = await call('write_file', { path: path.join(c.dir, 'open', `pwned-${c.name}`) });
    return r.ok ? 'written' : refusal(r);
  }],
  ['TCP connect to a port on the host loopback', async (call, c) => {
    const r = await call('connect', { port: c.net.tcp });
    return r.ok ? `connected (listener saw ${c.net.seen.tcp})` : `${refusal(r)} (listener saw ${c.net.seen.tcp})`;
  }],
  ['UDP datagram to the host loopback', async (call, c) => {
    const r = await call('udp', { port: c.net.udp });
    await new Promise((res) => setTimeout(res, 100));
    return r.ok ? `sent (listener got ${c.net.seen.udp})` : refusal(r);
  }],
  ['ptrace a child of its own', async (call) => {
    const r = await call('ptrace');
    return r.ok ? 'attached' : refusal(r);
  }],
  ['open /proc/<gateway>/mem', async (call, c) => {
    const r = await call('proc_mem', { pid: c.gw.pid });
    return r.ok ? 'opened' : refusal(r);
  }],
  ['signal the gateway (kill 0)', async (call, c) => {
    const r = await call('kill', { pid: c.gw.pid });
    return r.ok ? 'allowed' : refusal(r);
  }],
  ['mount, kexec_load, keyctl, unshare, perf_event_open, setns, bpf', async (call) => {
    const r = await call('syscalls');
    if (!r.calls) return refusal(r);
    const { ptrace, ...rest } = r.calls;
    return Object.entries(rest).map(([k, v]) => `${k} ${v}`).join(', ');
  }],
  [`fork 100 processes (cap ${PROCS} with --sandbox)`, async (call) => {
    const r = await call('fork', { n: 100 });
    return r.ok ? `all ${r.started} started` : `${r.started} started, then ${r.error}`;
  }],
  [`allocate 1024 MiB (cap ${MEMORY_MB}M with --sandbox)`, async (call, c) => {
    const r = await call('alloc', { mb: 1024 });
    if (r.rpcError) {
      const killed = /killed by its memory limit/.test(c.gw.log());
      return `child killed (${killed ? 'OOM in its cgroup, logged' : 'exited'}); caller got ${r.rpcError.code}`;
    }
    return r.ok ? `allocated ${r.mb} MiB` : `${r.mb} MiB, then ${r.code}`;
  }],
  ['the gateway answers afterwards', async (call, c) => {
    await waitFor(async () => (await readyzStatus(c.gw)) === 200, { timeoutMs: 15000, what: 'ready again' });
    return (await call('ping')) === 'pong' ? 'yes' : 'NO';
  }],
];

async function run(name, flags) {
  const dir = scratch();
  const listening = await listeners();
  const gw = await startGateway([
    '--stdio', `exec ${shq(process.execPath)} ${shq(HOSTILE)}`,
    '--auth-token-file', path.join(dir, 'tokens'), '--auth-token', FLAG_TOKEN, ...flags,
  ], { env: { ACCESS_TOKEN: ENV_TOKEN, MY_API_KEY: TOKEN, PLAIN_VAR: 'plain', MCPGW_LOG_LEVEL: 'info' } });
  const call = async (tool, args = {}) => {
    const { response } = await callToolRaw(gw.url, tool, args,
      { headers: { authorization: `Bearer ${TOKEN}` }, timeoutMs: 30000 });
    if (response?.error) return { rpcError: response.error };
    return JSON.parse(textOf(response));
  };
  const ctx = { gw, dir, net: listening, name };
  const cells = [];
  for (const [, fn] of ATTEMPTS) cells.push(await fn(call, ctx));
  await gw.stop();
  listening.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return cells;
}

if (process.getuid() !== 0) {
  console.error('sandbox-escapes: run as root (the sandboxed server then runs as nobody)');
  process.exit(2);
}
const SANDBOX = ['--sandbox', '--no-network', '--allow-read', path.dirname(HOSTILE),
  '--child-procs', String(PROCS), '--child-memory', `${MEMORY_MB}M`];
const without = await run('off', []);
const withSandbox = await run('sandbox', SANDBOX);
await killAll();
console.log(`| attempt | without \`--sandbox\` | \`${SANDBOX.slice(0, 2).join(' ')}\` |`);
console.log('| --- | --- | --- |');
ATTEMPTS.forEach(([row], i) => console.log(`| ${row} | ${without[i]} | ${withSandbox[i]} |`));
