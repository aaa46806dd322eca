#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// Sessions per second and gateway memory per idle session, mcpgw
// --stateful and Supergateway 4.0.0 --stateful side by side, each with
// the same tiny stdio server (bench/tiny-server.sh) as every session's
// child. Memory is the gateway process's own resident set (children
// excluded), read from /proc before and after opening the sessions.
//
//   node bench/sessions.mjs            # 1000 sessions, 16 at a time
//   SESSIONS=200 CONCURRENCY=8 node bench/sessions.mjs
//   TARGETS=mcpgw node bench/sessions.mjs

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const N = Number(process.env.SESSIONS || 1000);
const C = Number(process.env.CONCURRENCY || 16);
const TARGETS = (process.env.TARGETS || 'mcpgw supergateway').split(/\s+/);
const MCPGW = process.env.BENCH_MCPGW || path.join(root, 'build', 'mcpgw');
const SG = path.join(here, 'node_modules', 'supergateway', 'dist', 'index.js');
const CHILD = `sh ${path.join(here, 'tiny-server.sh')}`;
const V = '2025-11-25';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const rssKb = (pid) => {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
};

const children = (pid) => {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)
      .filter(Boolean).length;
  } catch {
    return 0;
  }
};

const headers = (sid) => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  ...(sid ? { 'mcp-session-id': sid, 'mcp-protocol-version': V } : {}),
});

async function openOne(url, i) {
  const init = await fetch(url, {
    method: 'POST', headers: headers(),
    body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'initialize', params: {
      protocolVersion: V, capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }),
  });
  const text = await init.text();
  const sid = init.headers.get('mcp-session-id');
  if (init.status !== 200 || !sid || !text.includes('"result"'))
    throw new Error(`initialize ${i}: HTTP ${init.status} ${text.slice(0, 200)}`);
  const n = await fetch(url, { method: 'POST', headers: headers(sid),
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  await n.text();
  if (n.status !== 202) throw new Error(`initialized ${i}: HTTP ${n.status}`);
  return sid;
}

async function pool(n, c, fn) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: c }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

async function waitUp(url, proc) {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`gateway exited ${proc.exitCode}`);
    try {
      await openOne(url, 0).then((sid) =>
        fetch(url, { method: 'DELETE', headers: headers(sid) }).then((r) => r.text()));
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error('gateway did not come up');
}

function start(target, port) {
  if (target === 'mcpgw')
    return spawn(MCPGW, ['--stateful', '--port', String(port), '--max-sessions', String(N + 10),
                         '--max-connections', String(4 * C + 64), '--logLevel', 'warn',
                         '--stdio', CHILD], { stdio: ['ignore', 'ignore', 'inherit'] });
  return spawn(process.execPath, [SG, '--stateful', '--port', String(port), '--outputTransport',
                                  'streamableHttp', '--logLevel', 'none', '--stdio', CHILD],
               { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function measure(target) {
  if (target === 'supergateway' && !fs.existsSync(SG)) {
    console.log(`supergateway: skipped (npm ci --prefix bench to install it)`);
    return null;
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const proc = start(target, port);
  try {
    await waitUp(url, proc);
    await sleep(300);
    const rss0 = rssKb(proc.pid);
    const t0 = process.hrtime.bigint();
    const sids = await pool(N, C, (i) => openOne(url, i + 1));
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    await sleep(1000); // let the children settle and the heap be counted
    const rss1 = rssKb(proc.pid);
    const kids = children(proc.pid);
    const t1 = process.hrtime.bigint();
    await pool(N, C, (i) => fetch(url, { method: 'DELETE', headers: headers(sids[i]) })
      .then((r) => r.text()));
    const delSecs = Number(process.hrtime.bigint() - t1) / 1e9;
    return { target, rate: N / secs, perKb: (rss1 - rss0) / N, rss0, rss1, kids,
             delRate: N / delSecs };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
  }
}

console.log(`${N} sessions, ${C} opened at a time, child: ${CHILD}`);
const rows = [];
for (const t of TARGETS) {
  const r = await measure(t);
  if (!r) continue;
  rows.push(r);
  console.log(`${t}: ${r.rate.toFixed(0)} sessions/s opened, ${r.delRate.toFixed(0)}/s ended; ` +
              `gateway RSS ${r.rss0} -> ${r.rss1} kB = ${r.perKb.toFixed(1)} kB per idle session; ` +
              `${r.kids} children`);
}
const [a, b] = rows;
if (a && b)
  console.log(`ratio ${a.target}/${b.target}: ${(a.rate / b.rate).toFixed(2)}x sessions/s, ` +
              `${(a.perKb / b.perKb).toFixed(3)}x memory per session`);
