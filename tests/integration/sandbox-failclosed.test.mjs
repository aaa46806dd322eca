// SPDX-License-Identifier: MIT
//
// Fail closed: a protection that was asked for and is missing stops the
// start (exit 2, naming it), unless --sandbox=best-effort. The host is made
// to look like it lacks one with the test hook MCPGW_SANDBOX_PRETEND_MISSING.
// Also: `mcpgw sandbox-check`, the flags' errors, the work directory's life.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import {
  MCPGW_BIN, ROOT, callToolRaw, fixtureCmd, freePort, killAll, runGateway, shq, startGateway, textOf,
} from './lib.mjs';

after(killAll);

const HOSTILE = path.join(ROOT, 'tests', 'fixtures', 'hostile-server.mjs');
const HOSTILE_CMD = `exec ${shq(process.execPath)} ${shq(HOSTILE)}`;
const FIXTURES = path.dirname(HOSTILE);
const check = spawnSync(MCPGW_BIN, ['sandbox-check'], { encoding: 'utf8' });
const skip = process.getuid() === 0 && check.status === 0 ? false : 'needs root and sandbox-check to pass';
const PORT = String(await freePort());
const pretend = (what) => ({ MCPGW_SANDBOX_PRETEND_MISSING: what });
const SANDBOXED = ['--stdio', fixtureCmd(), '--sandbox', '--allow-read', FIXTURES];

function sandboxCheck(env = {}) {
  return spawnSync(MCPGW_BIN, ['sandbox-check'], { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('sandbox-check', () => {
  test('prints each protection with available or why not', () => {
    const r = sandboxCheck();
    for (const name of ['only the three pipes', 'no_new_privs', 'parent-death signal',
      'Landlock: files', 'Landlock: TCP', 'seccomp', 'network namespace', 'user namespace',
      'cgroup: memory and tasks', 'another user']) {
      assert.match(r.stdout, new RegExp(`^  ${name}.* (available|unavailable)`, 'm'), name);
    }
    assert.match(r.stdout, /^mcpgw sandbox-check: Linux \S+, uid \d+$/m);
    assert.equal(r.status, /--sandbox --no-network: can start here/.test(r.stdout) ? 0 : 1);
  });

  test('a missing protection is named with the reason', { skip }, () => {
    const r = sandboxCheck(pretend('landlock,netns'));
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout,
      /^ {2}Landlock: files +unavailable \(made missing by MCPGW_SANDBOX_PRETEND_MISSING\)$/m);
    assert.match(r.stdout, /^ {2}network namespace \(--no-network\) +unavailable \(made missing/m);
    assert.match(r.stdout, /would refuse to start here/);
  });
});

describe('refusing to start', { skip }, () => {
  const cases = [
    ['landlock', [], /--sandbox: Landlock \(file access rules\) is not available here \(made missing by MCPGW_SANDBOX_PRETEND_MISSING\); refusing to start/],
    ['seccomp', [], /--sandbox: seccomp is not available here/],
    ['netns,landlock-net', ['--no-network'], /--sandbox: --no-network is not available here \(no network namespace: made missing/],
  ];
  for (const [missing, extra, message] of cases) {
    test(`without ${missing}: exit 2, naming it, and no child`, async () => {
      const r = await runGateway(['--port', PORT, ...SANDBOXED, ...extra], { env: pretend(missing) });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /child: pid=/);
    });
  }

  test('flag errors: a sandbox flag without --sandbox, root as --user, a missing path', async () => {
    const noSandbox = await runGateway(['--stdio', 'cat', '--allow-read', '/srv']);
    assert.equal(noSandbox.code, 2);
    assert.match(noSandbox.stderr, /--allow-read needs --sandbox/);
    const root = await runGateway(['--port', PORT, ...SANDBOXED, '--user', 'root']);
    assert.equal(root.code, 2);
    assert.match(root.stderr, /--user root: under --sandbox the MCP server may not run as root/);
    const gone = await runGateway(['--port', PORT, ...SANDBOXED, '--allow-write', '/nonexistent/dir']);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /--allow-write \/nonexistent\/dir: No such file or directory/);
  });
});

describe('starting without a part', { skip }, () => {
  test('--sandbox=best-effort starts, warning about the missing part', async (t) => {
    const gw = await startGateway(['--stdio', fixtureCmd(), '--sandbox=best-effort',
      '--allow-read', FIXTURES], { env: pretend('landlock'), t });
    assert.match(gw.log(), /warn sandbox: Landlock \(file access rules\) unavailable \(made missing by MCPGW_SANDBOX_PRETEND_MISSING\): starting without it/);
    assert.match(gw.log(), /sandbox best-effort: .*no Landlock/);
    const { response } = await callToolRaw(gw.url, 'echo', { text: 'still here' });
    assert.equal(textOf(response), 'still here');
    await gw.stop();
  });

  test('no network namespace: --no-network holds through Landlock TCP and seccomp', async (t) => {
    const srv = net.createServer((s) => s.destroy());
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    t.after(() => srv.close());
    let seen = 0;
    srv.on('connection', () => {
      seen += 1;
    });
    const gw = await startGateway(['--stdio', HOSTILE_CMD, '--sandbox', '--no-network',
      '--allow-read', FIXTURES], { env: pretend('netns'), t });
    assert.match(gw.log(), /no network \(Landlock TCP\)/);
    const { response } = await callToolRaw(gw.url, 'connect', { port: srv.address().port });
    const r = JSON.parse(textOf(response));
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.equal(seen, 0);
    await gw.stop();
  });

  test('no cgroup: address-space and process rlimits instead, said at warn', async (t) => {
    const gw = await startGateway(SANDBOXED, { env: pretend('cgroup'), t });
    assert.match(gw.log(), /warn sandbox: no cgroup for the MCP server \(made missing.*RLIMIT_AS=16G/);
    assert.match(gw.log(), /address space 16G, tasks 256, files 4096/);
    const pid = Number(gw.log().match(/child: pid=(\d+) started/)[1]);
    const limits = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
    assert.match(limits, /Max address space\s+17179869184\s+17179869184/);
    assert.match(limits, /Max processes\s+256\s+256/);
    await gw.stop();
  });
});

describe('a child whose own cgroup cannot be made', { skip }, () => {
  test('strict: not started, said at error, callers get 503, the gateway stays up', async (t) => {
    const gw = await startGateway([...SANDBOXED, '--ready-timeout', '500ms'],
      { env: pretend('cgroup-child'), readyz: false, t });
    await gw.waitForLog(/error sandbox: no cgroup for the next MCP server \(made missing by MCPGW_SANDBOX_PRETEND_MISSING\): not starting it without its memory and task limits/);
    await gw.waitForLog(/restarting the MCP server in 500 ms/, 3000);
    assert.doesNotMatch(gw.log(), /child: pid=\d+ started/);
    const { res } = await callToolRaw(gw.url, 'echo', { text: 'x' });
    assert.equal(res.status, 503, res.text);
    assert.equal((await fetch(`${gw.base}/healthz`)).status, 200);
    await gw.stop();
  });

  test('strict, --stateful: that session is refused with 500, the gateway and other requests go on', async (t) => {
    const gw = await startGateway(['--stateful', ...SANDBOXED], { env: pretend('cgroup-child'), t });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {
          protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      });
      const body = await res.json();
      assert.equal(res.status, 500);
      assert.equal(body.error.code, -32000);
      assert.equal(res.headers.get('mcp-session-id'), null, 'no session to name');
    }
    assert.match(gw.log(), /ended: its MCP server could not start/);
    assert.equal((await fetch(`${gw.base}/healthz`)).status, 200);
    await gw.stop();
  });

  test('best-effort: started without the limits, said at warn', async (t) => {
    const gw = await startGateway(['--stdio', fixtureCmd(), '--sandbox=best-effort', '--allow-read', FIXTURES],
      { env: pretend('cgroup-child'), t });
    assert.match(gw.log(), /warn sandbox: no cgroup for the next MCP server \(made missing.*\): starting it without memory and task limits/);
    const { response } = await callToolRaw(gw.url, 'echo', { text: 'still here' });
    assert.equal(textOf(response), 'still here');
    await gw.stop();
  });
});

describe('the work directory', { skip }, () => {
  test('a fresh private one is removed at exit; a given one is kept', async (t) => {
    const gw = await startGateway(SANDBOXED, { t });
    const made = gw.log().match(/workdir (\/\S+),/)[1];
    const st = fs.statSync(made);
    assert.equal(st.mode & 0o777, 0o700);
    assert.equal(st.uid, 65534);
    await gw.stop();
    assert.equal(fs.existsSync(made), false, `${made} removed`);

    const mine = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-wd-'));
    t.after(() => fs.rmSync(mine, { recursive: true, force: true }));
    fs.chownSync(mine, 65534, 65534);
    const gw2 = await startGateway([...SANDBOXED, '--workdir', mine], { t });
    assert.match(gw2.log(), new RegExp(`workdir ${mine},`));
    const { response } = await callToolRaw(gw2.url, 'env', { name: 'HOME' });
    assert.equal(textOf(response), mine);
    await gw2.stop();
    assert.equal(fs.existsSync(mine), true);
  });
});
