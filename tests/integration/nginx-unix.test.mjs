// SPDX-License-Identifier: MIT
//
// mcpgw --listen unix:PATH: the socket's mode, a stale socket removed at
// start but a live one or another file never, the file removed at exit;
// no token needed and any Host served (the file mode guards it, and the
// proxy in front decides the names); and nginx proxying to it with the
// committed site's "server unix:" line.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { MCPGW_BIN, fixtureCmd, freePort, gatewayEnv, initializeRequest, mcpHeaders, toolCall, waitFor } from './lib.mjs';
import {
  CONF, envsubst, fetchAll, localSite, makeCert, startNginx, startUnixGateway, substitute, tempDir,
} from './nginx-lib.mjs';

const FIXTURE = ['--stdio', fixtureCmd({}, { exec: true })];

function exitOf(args) {
  return new Promise((resolve) => {
    const p = spawn(MCPGW_BIN, args, { env: gatewayEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    p.stderr.on('data', (d) => (log += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 15000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, log });
    });
  });
}

test('a Unix socket: mode 0660, any Host, no token needed, removed at exit', async (t) => {
  const dir = tempDir(t);
  const sock = path.join(dir, 'mcpgw.sock');
  const gw = await startUnixGateway(t, sock, ['--stateful', ...FIXTURE]);
  const st = fs.statSync(sock);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o660);
  assert.match(gw.log(), /listening on http:\/\/unix:\S+mcpgw\.sock/);

  // nginx sends the public name; behind a socket that is served.
  const r = await fetchAll('http://mcp.example.com/mcp', {
    socketPath: sock, method: 'POST', body: initializeRequest(), headers: mcpHeaders(),
  });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers['mcp-session-id'], /^[0-9a-f]{32}$/);
  await waitFor(() => /unix "POST \/mcp" 200/.test(gw.log()), { what: 'an access line naming the socket' });

  const info = await gw.stop();
  assert.equal(info.code, 0);
  assert.equal(fs.existsSync(sock), false, 'the socket file is removed at exit');
});

test('a stale socket is replaced; a live one and other files are left alone', async (t) => {
  const dir = tempDir(t);
  const sock = path.join(dir, 'mcpgw.sock');
  const first = await startUnixGateway(t, sock, FIXTURE);
  await first.kill();
  assert.ok(fs.existsSync(sock), 'SIGKILL leaves the file');

  const second = await startUnixGateway(t, sock, FIXTURE);
  assert.match(second.log(), /removed the stale socket/);

  const third = await exitOf(['--listen', `unix:${sock}`, ...FIXTURE]);
  assert.notEqual(third.code, 0);
  assert.match(third.log, /another process is listening on it/);
  const r = await fetchAll('http://localhost/healthz', { socketPath: sock });
  assert.equal(r.status, 200, 'the live gateway still has its socket');

  const file = path.join(dir, 'not-a-socket');
  fs.writeFileSync(file, 'keep me');
  const fourth = await exitOf(['--listen', `unix:${file}`, ...FIXTURE]);
  assert.notEqual(fourth.code, 0);
  assert.match(fourth.log, /a file that is not a socket is there/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'keep me');

  const bad = await exitOf(['--listen', 'unix:relative.sock', ...FIXTURE]);
  assert.equal(bad.code, 2);
  assert.match(bad.log, /--listen: invalid address 'unix:relative.sock'/);
});

test('other users cannot connect to the socket', { skip: process.getuid() !== 0 && 'needs root to run a client as another user' }, async (t) => {
  const dir = tempDir(t);
  fs.chmodSync(dir, 0o711); // let others reach the file, so its own mode decides
  const sock = path.join(dir, 'mcpgw.sock');
  await startUnixGateway(t, sock, FIXTURE);
  const probe = (uid, gid) => new Promise((resolve) => {
    const code = `require('net').connect(${JSON.stringify(sock)}).on('connect', () => { console.log('connected'); process.exit(0); })` +
                 `.on('error', (e) => { console.log(e.code); process.exit(0); });`;
    const p = spawn(process.execPath, ['-e', code], { uid, gid, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('close', () => resolve(out.trim()));
  });
  assert.equal(await probe(65534, 65534), 'EACCES', 'nobody is refused');
  assert.equal(await probe(65534, 0), 'connected', "the socket's group gets in");
});

test('nginx proxies to the socket with the committed site', async (t) => {
  const dir = tempDir(t);
  const sock = path.join(dir, 'mcpgw.sock');
  const gw = await startUnixGateway(t, sock, ['--stateful', ...FIXTURE]);
  const cert = makeCert(dir);
  const tlsPort = await freePort();
  let site = envsubst(fs.readFileSync(path.join(CONF, 'mcpgw.conf.template'), 'utf8'), { ACCESS_TOKEN: 'tok' });
  site = substitute(site, [
    ['server 127.0.0.1:8000;', ''],
    ['# server unix:/run/mcpgw/mcpgw.sock;', `server unix:${sock};`],
  ]);
  site = localSite(site, { dir, cert, tlsPort, httpPort: await freePort() });
  await startNginx(t, dir, site, tlsPort);

  const url = `https://mcp.example.com:${tlsPort}/mcp`;
  const opts = (extra) => ({ method: 'POST', ca: cert.pem, headers: mcpHeaders({ authorization: 'Bearer tok', ...extra }) });
  // The TLS name is localhost; the Host header is the public name.
  const via = (u) => u.replace('mcp.example.com', 'localhost');
  const init = await fetchAll(via(url), { ...opts({ host: 'mcp.example.com' }), body: initializeRequest() });
  assert.equal(init.status, 200, init.text);
  const sid = init.headers['mcp-session-id'];
  const msg = toolCall('echo', { text: 'over a unix socket' });
  const call = await fetchAll(via(url), { ...opts({ 'mcp-session-id': sid }), body: msg });
  assert.equal(call.status, 200, call.text);
  assert.equal(call.messages.find((m) => m.id === msg.id).result.content[0].text, 'over a unix socket');
  await waitFor(() => /unix "POST \/mcp" 200 .*rpc=tools\/call/.test(gw.log()), { what: 'the access line' });
});
