// Processes the gateway must look after beyond its direct child:
//  - not PID 1: the gateway is a child subreaper, so an orphan that left
//    the child's process group is reparented to it, and reaped on exit;
//  - --parent-death: the gateway exits when its parent dies, and takes
//    its child tree with it;
//  - PID 1 of a PID namespace (unshare): orphans are reaped, and SIGTERM
//    still ends everything with exit 0.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  MCPGW_BIN, callToolOnce, cmdlineOf, descendantPids, fixtureCmd, freePort,
  gatewayEnv, isAlive, killAll, ppidOf, procState, procStatus, sanitizerReport, startGateway,
  textOf, waitFor, withTimeout,
} from './lib.mjs';

after(killAll);

const killPids = (pids) => {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {}
  }
};

test('not PID 1: an orphan is reparented to the gateway (subreaper) and reaped', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const r = await callToolOnce(gw.url, 'spawn_orphan', { ms: 1500 }, { timeoutMs: 10000 });
  const orphan = Number(textOf(r.response));
  assert.ok(orphan > 0, `an orphan pid: ${r.res.text}`);
  t.after(() => killPids([orphan]));

  await waitFor(() => Number(procStatus(orphan, 'PPid')) === gw.pid,
                { timeoutMs: 2000, what: `orphan ${orphan} reparented to the gateway ${gw.pid} ` +
                                         `(PPid now ${procStatus(orphan, 'PPid')})` });
  const childPgid = Number(fs.readFileSync(`/proc/${orphan}/stat`, 'utf8')
    .split(') ')[1].split(' ')[2]);
  const gwChild = descendantPids(gw.pid).find((p) => ppidOf(p) === gw.pid && p !== orphan);
  assert.notEqual(childPgid, gwChild, 'the orphan left the child\'s process group');

  // It sleeps 1.5 s, then exits: the gateway must reap it.
  await waitFor(() => procState(orphan) === null,
                { timeoutMs: 1500 + 3000, intervalMs: 50,
                  what: `orphan ${orphan} to be reaped (state ${procState(orphan)})` });
  assert.equal(gw.exitInfo(), null, 'the gateway keeps running');
});

test('--parent-death: the gateway exits when its parent dies, its child tree with it', async (t) => {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-pdeath-'));
  const logFile = path.join(dir, 'mcpgw.log');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // The intermediate parent: starts mcpgw (stdin/stdout ignored, stderr to
  // a file for the diagnostics), prints its pid, waits for /readyz, says
  // "ready" and exits 500 ms later.
  const script = `
    const { spawn } = require('node:child_process');
    const fs = require('node:fs');
    const [bin, logFile, port, ...args] = process.argv.slice(1);
    const err = fs.openSync(logFile, 'a');
    const c = spawn(bin, args, { stdio: ['ignore', 'ignore', err] });
    console.log('pid ' + c.pid);
    const t0 = Date.now();
    const poll = () => fetch('http://127.0.0.1:' + port + '/readyz')
      .then((r) => r.status === 200, () => false)
      .then((ok) => {
        if (ok) {
          console.log('ready');
          setTimeout(() => process.exit(0), 500);
        } else if (Date.now() - t0 > 10000) {
          console.log('not ready');
          process.exit(1);
        } else {
          setTimeout(poll, 30);
        }
      });
    poll();
  `;
  const parent = spawn(process.execPath, [
    '-e', script, MCPGW_BIN, logFile, String(port),
    '--port', String(port), '--stdio', fixtureCmd(), '--parent-death',
  ], { env: gatewayEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.setEncoding('utf8');
  parent.stdout.on('data', (d) => {
    out += d;
  });
  const parentExit = new Promise((resolve) => parent.once('exit', (code) => resolve({ code, at: Date.now() })));

  let gwPid = 0;
  let tree = [];
  t.after(() => killPids([...tree, ...descendantPids(gwPid), gwPid].filter((p) => p > 0)));
  await waitFor(() => /^pid (\d+)$/m.test(out), { timeoutMs: 5000, what: 'the mcpgw pid from the parent' });
  gwPid = Number(out.match(/^pid (\d+)$/m)[1]);
  await waitFor(() => /^(ready|not ready)$/m.test(out), { timeoutMs: 12000, what: 'mcpgw ready' });
  assert.match(out, /^ready$/m, `mcpgw became ready (log: ${fs.readFileSync(logFile, 'utf8')})`);
  tree = descendantPids(gwPid);
  assert.ok(tree.length >= 1, 'mcpgw has its child');

  const { code, at } = await withTimeout(parentExit, 5000, 'the intermediate parent exits');
  assert.equal(code, 0);
  await waitFor(() => !isAlive(gwPid), {
    timeoutMs: 2000, intervalMs: 25,
    what: `mcpgw ${gwPid} to exit after its parent died (log: ${fs.readFileSync(logFile, 'utf8').slice(-1500)})`,
  });
  t.diagnostic(`mcpgw gone ${Date.now() - at} ms after its parent exited`);
  await waitFor(() => tree.every((p) => !isAlive(p)),
                { timeoutMs: 3000, what: `mcpgw's child tree ${tree} to be gone` });
});

test('PID 1 in a PID namespace: orphans are reaped, SIGTERM still exits 0', async (t) => {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    t.skip('unshare --pid needs root here');
    return;
  }
  const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { timeout: 5000 });
  if (probe.error || probe.status !== 0) {
    t.skip(`unshare --pid --fork --mount-proc is not permitted here: ` +
           `${probe.error?.message ?? `exit ${probe.status} ${String(probe.stderr).trim()}`}`);
    return;
  }

  const gw = await startGateway(['--stdio', fixtureCmd()],
                                { wrap: ['unshare', '--pid', '--fork', '--mount-proc'] });
  // gw.pid is unshare; the gateway (PID 1 inside) is its child.
  const inner = descendantPids(gw.pid).find((p) => ppidOf(p) === gw.pid);
  t.after(() => killPids([...descendantPids(gw.pid), gw.pid]));
  assert.ok(inner, 'the gateway under unshare');
  assert.match(cmdlineOf(inner), /mcpgw/, `pid ${inner} is mcpgw: ${cmdlineOf(inner)}`);
  assert.equal(procStatus(inner, 'NSpid')?.split(/\s+/).pop(), '1', 'the gateway is PID 1 in its namespace');

  const zombies = async () => Number(textOf((await callToolOnce(gw.url, 'zombies', {})).response));
  const before = await zombies();

  const r = await callToolOnce(gw.url, 'spawn_orphan', { ms: 500 }, { timeoutMs: 10000 });
  const nsPid = Number(textOf(r.response));
  assert.ok(nsPid > 1, r.res.text);
  // The orphan as the host sees it: a `sleep` in the gateway's tree.
  const hostOrphan = await waitFor(() => descendantPids(inner).find((p) =>
    procStatus(p, 'NSpid')?.split(/\s+/).pop() === String(nsPid)), { timeoutMs: 2000, what: 'the orphan on the host' })
    .catch(() => null);
  assert.ok(hostOrphan, `the orphan (ns pid ${nsPid}) is in the gateway's tree on the host`);
  {
    await waitFor(() => ppidOf(hostOrphan) === inner || procState(hostOrphan) === null,
                  { timeoutMs: 2000, what: 'the orphan reparented to the gateway (PID 1)' });
    // Exited (0.5 s), then reaped: not a zombie for long.
    await waitFor(() => procState(hostOrphan) === null,
                  { timeoutMs: 500 + 3000, intervalMs: 50,
                    what: `orphan ${hostOrphan} (ns pid ${nsPid}) to be reaped (state ${procState(hostOrphan)})` });
  }
  await waitFor(async () => (await zombies()) === 0,
                { timeoutMs: 3000, intervalMs: 100, what: `no zombie in the namespace (had ${before} before)` });

  const tree = [inner, ...descendantPids(inner)];
  process.kill(inner, 'SIGTERM'); // unshare itself neither forwards nor dies of SIGTERM
  try {
    process.kill(gw.pid, 'SIGTERM');
  } catch {}
  const info = await withTimeout(gw.exited, 10000, 'unshare + mcpgw exit after SIGTERM');
  assert.deepEqual({ code: info.code, signal: info.signal }, { code: 0, signal: null },
                   gw.log().split('\n').slice(-15).join('\n'));
  assert.equal(sanitizerReport(gw.log()), null, 'no sanitizer report');
  await waitFor(() => tree.every((p) => !isAlive(p)),
                { timeoutMs: 3000, what: `the namespace's processes ${tree} to be gone` });
});
