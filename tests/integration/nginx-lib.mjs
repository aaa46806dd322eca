// SPDX-License-Identifier: MIT
//
// Helpers for the tests that put real nginx in front of mcpgw: a
// self-signed certificate, the committed conf/nginx files turned into a
// runnable site (each substitution must match, so a test fails when the
// committed file changes shape instead of testing a copy), nginx itself
// on free loopback ports, HTTPS requests that trust the test's
// certificate, and a gateway on a Unix socket.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

import {
  MCPGW_BIN, ROOT, freePort, gatewayEnv, sanitizerReport, waitFor, withTimeout,
} from './lib.mjs';

export const CONF = path.join(ROOT, 'conf', 'nginx');
export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p)) ?? 'nginx';

/** A fresh directory under the system's temp dir, removed in t.after. */
export function tempDir(t, prefix = 'mcpgw-nginx-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A self-signed certificate for localhost and 127.0.0.1: { cert, key, pem }. */
export function makeCert(dir) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-nodes', '-days', '1', '-newkey', 'ec',
    '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-keyout', key, '-out', cert,
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'pipe' });
  return { cert, key, pem: fs.readFileSync(cert) };
}

/** Runs envsubst with only the named variables, as the conf's comment says. */
export function envsubst(text, vars) {
  const names = Object.keys(vars).map((k) => `$${k}`).join(' ');
  return execFileSync('envsubst', [names], {
    input: text,
    env: { PATH: process.env.PATH, ...vars },
  }).toString();
}

/**
 * Applies [from, to] pairs to text, every occurrence; each from must
 * occur at least once.
 */
export function substitute(text, pairs, what = 'conf') {
  for (const [from, to] of pairs) {
    assert.ok(text.includes(from), `${what}: expected ${JSON.stringify(from)} in the committed file`);
    text = text.split(from).join(to);
  }
  return text;
}

/**
 * The substitutions every committed site needs to run on loopback: TLS
 * on tlsPort, the certificate, the snippet's path; the IPv6 and plain
 * port-80 listeners are dropped or moved to httpPort.
 */
export function localSite(text, { dir, cert, tlsPort, httpPort }) {
  const pairs = [
    ['listen 443 ssl http2;', `listen 127.0.0.1:${tlsPort} ssl http2;`],
    ['listen [::]:443 ssl http2;', ''],
    ['/etc/ssl/certs/mcpgw.pem', cert.cert],
    ['/etc/ssl/private/mcpgw.key', cert.key],
    ['include snippets/mcpgw-proxy.conf;', `include ${path.join(dir, 'mcpgw-proxy.conf')};`],
  ];
  if (httpPort !== undefined) {
    pairs.push(['listen 80;', `listen 127.0.0.1:${httpPort};`], ['listen [::]:80;', '']);
  }
  return substitute(text, pairs);
}

/**
 * Runs nginx with site (http-context text) in dir, checked with nginx -t
 * first. Waits until port accepts connections (TLS unless opts.tls is
 * false). Stopped in t.after.
 * Returns { stop(), log() }.
 */
export async function startNginx(t, dir, site, port, { tls = true } = {}) {
  fs.copyFileSync(path.join(CONF, 'mcpgw-proxy.conf'), path.join(dir, 'mcpgw-proxy.conf'));
  fs.writeFileSync(path.join(dir, 'site.conf'), site);
  const user = process.getuid() === 0 ? 'user root;' : '';
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((k) => `    ${k}_temp_path ${path.join(dir, k)};`).join('\n');
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `${user}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 1024; }
http {
    access_log ${dir}/access.log;
${temp}
    include ${dir}/site.conf;
}
`);
  const args = ['-c', path.join(dir, 'nginx.conf'), '-p', dir, '-e', path.join(dir, 'error.log')];
  try {
    execFileSync(NGINX, ['-t', '-q', ...args], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`nginx -t refused the site: ${e.stderr}\n--- site ---\n${site}`);
  }
  const proc = spawn(NGINX, args, { stdio: 'ignore' });
  const exited = new Promise((r) => proc.once('exit', r));
  const log = () => {
    try {
      return fs.readFileSync(path.join(dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGQUIT');
    await withTimeout(exited, 5000, 'nginx exit').catch(() => proc.kill('SIGKILL'));
  };
  t.after(stop);
  await waitFor(() => new Promise((resolve) => {
    const s = (tls ? https : http).request({ host: '127.0.0.1', port, rejectUnauthorized: false, path: '/healthz' },
                                           (res) => { res.resume(); resolve(true); });
    s.on('error', () => resolve(false));
    s.end();
  }), { timeoutMs: 10000, what: `nginx on port ${port}` });
  return { stop, log, access: () => fs.readFileSync(path.join(dir, 'access.log'), 'utf8') };
}

/**
 * An HTTP(S) request whose body is read as it arrives. opts: method,
 * headers, body, ca, agent, socketPath. Resolves once the head is in with
 * { status, headers, text(), events() (SSE data as parsed JSON, each with
 * .at, the time its event was complete), ended, next(pred, ms) }.
 */
export function request(url, opts = {}) {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  const { method = 'GET', headers = {}, body, ca, agent, socketPath, timeoutMs = 10000 } = opts;
  const data = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method,
      headers: data === undefined ? headers : { 'content-length': Buffer.byteLength(data), ...headers },
      ca, agent, socketPath, servername: u.hostname === '127.0.0.1' ? undefined : u.hostname,
      timeout: timeoutMs,
    }, (res) => {
      let text = '';
      let ended = false;
      const events = [];
      const waiters = new Set();
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        const at = performance.now();
        text += d;
        pending += d;
        let i;
        while ((i = pending.search(/\r?\n\r?\n/)) >= 0) {
          const block = pending.slice(0, i);
          pending = pending.slice(i).replace(/^\r?\n\r?\n/, '');
          const lines = block.split(/\r?\n/);
          const ev = lines.find((l) => l.startsWith('event:'))?.slice(6).trim() ?? 'message';
          const dataLines = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
          if (dataLines.length) events.push({ event: ev, data: dataLines.join('\n'), at });
        }
        for (const w of waiters) w();
      });
      const done = new Promise((r) => res.on('close', () => {
        ended = true;
        for (const w of waiters) w();
        r();
      }));
      resolve({
        status: res.statusCode,
        headers: res.headers,
        text: () => text,
        events: () => events,
        messages: () => events.filter((e) => e.event === 'message').map((e) => ({ ...JSON.parse(e.data), at: e.at })),
        ended: done,
        isEnded: () => ended,
        close: () => res.destroy(),
        next(pred, ms = 5000, what = 'a matching event') {
          return new Promise((ok, fail) => {
            const check = () => {
              const found = events.find(pred);
              if (found) {
                clean();
                ok(found);
              } else if (ended) {
                clean();
                fail(new Error(`the stream ended without ${what}; got: ${text.slice(0, 800)}`));
              }
            };
            const timer = setTimeout(() => {
              clean();
              fail(new Error(`timed out after ${ms} ms waiting for ${what}; got: ${text.slice(0, 800)}`));
            }, ms);
            const clean = () => {
              clearTimeout(timer);
              waiters.delete(check);
            };
            waiters.add(check);
            check();
          });
        },
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** request() and the whole body: { status, headers, text, messages }. */
export async function fetchAll(url, opts = {}) {
  const r = await request(url, opts);
  await r.ended;
  let messages = [];
  const ct = r.headers['content-type'] ?? '';
  if (ct.startsWith('text/event-stream')) messages = r.messages();
  else if (ct.startsWith('application/json') && r.text()) messages = [].concat(JSON.parse(r.text()));
  return { status: r.status, headers: r.headers, text: r.text(), messages };
}

/**
 * Starts mcpgw with --listen unix:socketPath plus args and waits until
 * GET /healthz answers on the socket. Stopped with SIGTERM in t.after,
 * which must end it with status 0 and no sanitizer report.
 * Returns { proc, pid, log(), exited, stop(signal), kill() }.
 */
export async function startUnixGateway(t, socketPath, args, { env = {}, wait = true } = {}) {
  const proc = spawn(MCPGW_BIN, ['--listen', `unix:${socketPath}`, ...args], {
    env: gatewayEnv(env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const closed = new Promise((r) => proc.stderr.once('close', r));
  const gw = {
    proc,
    pid: proc.pid,
    log: () => log,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const info = await withTimeout(exited, 15000, `mcpgw exit after ${signal}`);
      await withTimeout(closed, 2000, 'mcpgw stderr').catch(() => {});
      const report = sanitizerReport(log);
      if (report) throw new Error(`mcpgw reported a sanitizer error:\n${report}`);
      return info;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      return exited;
    },
  };
  t.after(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const info = await gw.stop();
    assert.equal(info.code, 0, `mcpgw on ${socketPath} exited ${JSON.stringify(info)} on SIGTERM:\n${log}`);
  });
  if (!wait) return gw;
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`mcpgw exited ${proc.exitCode}:\n${log}`);
    const r = await fetchAll('http://localhost/healthz', { socketPath }).catch(() => null);
    return r?.status === 200;
  }, { timeoutMs: 15000, what: `GET /healthz on unix:${socketPath}` });
  return gw;
}

export { freePort };
