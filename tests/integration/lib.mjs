// SPDX-License-Identifier: MIT
//
// Helpers shared by mcpgw's integration tests: start and stop the gateway,
// build the --stdio command lines, raw HTTP requests, an SSE parser, an SDK
// client, and process-tree inspection through /proc.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export const ROOT = path.resolve(here, '..', '..');

// Under --sandbox a root gateway runs its MCP server as nobody, which must
// be able to reach the fixtures and node_modules in this checkout. A clone
// made in a mktemp directory (mode 0700) is not reachable; give its
// ancestors the search bit only (no listing), and say so.
if (process.getuid && process.getuid() === 0) {
  for (let dir = ROOT; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      fs.chmodSync(dir, (mode & 0o7777) | 0o001);
      console.error(`# lib.mjs: added o+x to ${dir} so a sandboxed server can reach the checkout`);
    }
  }
}
export const MCPGW_BIN = process.env.MCPGW_BIN || path.join(ROOT, 'build', 'mcpgw');
export const FIXTURE = path.join(ROOT, 'tests', 'fixtures', 'fixture-server.mjs');
export const EVERYTHING = path.join(
  ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');

export const ACCEPT_BOTH = 'application/json, text/event-stream';

// ----------------------------------------------------------- small things

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Quotes s for /bin/sh. */
export function shq(s) {
  s = String(s);
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Polls fn until it returns a truthy value (which is returned) or
 * timeoutMs passes (then throws, naming what was awaited).
 */
export async function waitFor(fn, { timeoutMs = 5000, intervalMs = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

/** Rejects if p does not settle within ms. */
export function withTimeout(p, ms, what = 'operation') {
  let timer;
  return Promise.race([
    p,
    new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A free TCP port on the loopback interface (bound, read, closed). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------ command lines

/**
 * The --stdio command for the fixture, with env assignments in front.
 * opts.exec: the shell execs node (`exec env K=V node fixture`), so the
 * fixture is the gateway's direct child and the only holder of its pipes
 * (dash forks for `sh -c 'node ...'` and keeps stdout open itself).
 */
export function fixtureCmd(extraEnv = {}, opts = {}) {
  const assigns = Object.entries(extraEnv).map(([k, v]) => `${k}=${shq(v)}`);
  if (opts.exec) return ['exec', 'env', ...assigns, shq(process.execPath), shq(FIXTURE)].join(' ');
  return [...assigns, shq(process.execPath), shq(FIXTURE)].join(' ');
}

/** The --stdio command for @modelcontextprotocol/server-everything. */
export function everythingCmd() {
  return `${shq(process.execPath)} ${shq(EVERYTHING)} stdio`;
}

// Environment for a gateway: the test runner's, minus anything that could
// change the gateway's behaviour behind a test's back.
export function gatewayEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('MCPGW_') || k === 'ACCESS_TOKEN' || k.startsWith('NODE_TEST')) {
      delete env[k];
    }
  }
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}

// --------------------------------------------------------- the gateway

const live = new Set();

/** SIGKILLs every gateway (and its process tree) still running. */
export async function killAll() {
  await Promise.all([...live].map((gw) => gw.kill()));
}

process.on('exit', () => {
  for (const gw of live) {
    for (const pid of [...descendantPids(gw.proc.pid), gw.proc.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
});

function spawnGateway(args, env, wrap = null) {
  const [cmd, argv] = wrap && wrap.length
    ? [wrap[0], [...wrap.slice(1), MCPGW_BIN, ...args]]
    : [MCPGW_BIN, args];
  const proc = spawn(cmd, argv, {
    env: gatewayEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  const waiters = new Set();
  const poke = () => {
    for (const w of waiters) w();
  };
  proc.stderr.setEncoding('utf8');
  proc.stdout.setEncoding('utf8');
  proc.stderr.on('data', (d) => {
    stderr += d;
    poke();
  });
  proc.stdout.on('data', (d) => {
    stdout += d;
    poke();
  });
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    proc.once('error', (err) => {
      exitInfo = { code: null, signal: null, error: err };
      poke();
      resolve(exitInfo);
    });
    proc.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      poke();
      resolve(exitInfo);
    });
  });
  return {
    proc,
    exited,
    exitInfo: () => exitInfo,
    log: () => stderr,
    stdout: () => stdout,
    waiters,
  };
}

/**
 * Starts mcpgw with `--port PORT` plus args, waits for GET /healthz == 200
 * and (unless opts.readyz is false) GET /readyz == 200.
 *
 * opts: env (added to the gateway's environment), readyz (default true),
 * timeoutMs (start-up budget, default 15000), t (a node:test context: the
 * gateway is killed in t.after), wrap (a command the gateway runs under,
 * e.g. ['unshare', '--pid', '--fork']: proc and pid are then the wrapper's).
 *
 * args may also be a function of the port returning the whole argv: no
 * `--port PORT` is put in front then (for flag-order tests).
 *
 * Returns { url, base, port, proc, pid, log(), waitForLog(re, ms),
 *           stop(signal) -> {code, signal}, kill(), exited }.
 *
 * stop() and kill() reject when the gateway's log holds a sanitizer report
 * (ASan, LSan, UBSan; see sanitizerReport), so a test that cleans up its
 * gateway fails on a memory error even when nothing else noticed.
 */
export async function startGateway(args = [], opts = {}) {
  const { env = {}, readyz = true, timeoutMs = 15000, t, wrap = null } = opts;
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const argv = typeof args === 'function' ? args(port) : ['--port', String(port), ...args];
    const g = spawnGateway(argv, env, wrap);
    const base = `http://127.0.0.1:${port}`;
    const gw = {
      url: `${base}/mcp`,
      base,
      port,
      proc: g.proc,
      pid: g.proc.pid,
      exited: g.exited,
      exitInfo: g.exitInfo,
      log: g.log,
      stdout: g.stdout,
      waitForLog: (re, ms = 5000) => waitForText(g, g.log, re, ms),
      stop: (signal = 'SIGTERM', ms = 15000) => stopGateway(gw, signal, ms),
      kill: () => killGateway(gw),
    };
    live.add(gw);
    g.exited.then(() => live.delete(gw));
    if (t) t.after(() => cleanUp(gw));
    try {
      await waitFor(async () => {
        if (g.exitInfo()) throw new Error('exited');
        return (await httpStatus(`${base}/healthz`)) === 200;
      }, { timeoutMs, intervalMs: 30, what: 'GET /healthz == 200' });
      if (readyz) {
        await waitFor(async () => {
          if (g.exitInfo()) throw new Error('exited');
          return (await httpStatus(`${base}/readyz`)) === 200;
        }, { timeoutMs, intervalMs: 30, what: 'GET /readyz == 200' });
      }
      return gw;
    } catch (e) {
      const info = g.exitInfo();
      await killGateway(gw, { check: false });
      lastErr = new Error(
        `mcpgw did not start (${e.message}); exit=${JSON.stringify(info)}\n` +
        `argv: ${MCPGW_BIN} ${argv.join(' ')}\n--- log ---\n${g.log()}`);
      // Someone else took the port between our probe and the bind: retry.
      if (info && /in use|EADDRINUSE|bind/i.test(g.log())) continue;
      throw lastErr;
    }
  }
  throw lastErr;
}

async function httpStatus(url) {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

function waitForText(g, get, re, ms) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = get().match(re);
      if (m) {
        done();
        resolve(m);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${ms} ms waiting for ${re} in the gateway log;` +
                       `\n--- log ---\n${get()}`));
    }, ms);
    const done = () => {
      clearTimeout(timer);
      g.waiters.delete(check);
    };
    g.waiters.add(check);
    check();
  });
}

// ------------------------------------------------------- sanitizer guard

// What AddressSanitizer, LeakSanitizer and UBSan write on stderr.
const SANITIZER_MARKS = ['ERROR: AddressSanitizer', 'LeakSanitizer', 'runtime error:'];

/**
 * The sanitizer report in text (a gateway's log), from the start of the
 * line with the first marker, at most maxChars long; null if there is none.
 */
export function sanitizerReport(text, maxChars = 4000) {
  let at = -1;
  for (const m of SANITIZER_MARKS) {
    const i = text.indexOf(m);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  if (at < 0) return null;
  const start = text.lastIndexOf('\n', at) + 1;
  const excerpt = text.slice(start, start + maxChars);
  return excerpt.length < text.length - start ? `${excerpt}\n[...]` : excerpt;
}

// Waits (briefly) for the gateway's stderr to reach EOF, so that a report
// written just before the exit is in the log.
async function drainStderr(gw, ms = 2000) {
  const s = gw.proc.stderr;
  if (!s || s.destroyed || s.readableEnded) return;
  await withTimeout(new Promise((r) => {
    s.once('close', r);
    s.once('end', r);
  }), ms, 'mcpgw stderr EOF').catch(() => {});
}

// Throws (once per gateway) when the gateway's log holds a sanitizer report.
async function checkSanitizer(gw) {
  if (gw.sanitizerReported) return;
  await drainStderr(gw);
  const report = sanitizerReport(gw.log());
  if (!report) return;
  gw.sanitizerReported = true;
  throw new Error(`mcpgw (pid ${gw.pid}) reported a sanitizer error:\n${report}`);
}

async function stopGateway(gw, signal, ms) {
  if (gw.exitInfo()) {
    await checkSanitizer(gw);
    return gw.exitInfo();
  }
  try {
    gw.proc.kill(signal);
  } catch {}
  let info;
  try {
    info = await withTimeout(gw.exited, ms, `mcpgw exit after ${signal}`);
  } catch (e) {
    await killGateway(gw, { check: false });
    const report = sanitizerReport(gw.log());
    if (report) {
      gw.sanitizerReported = true;
      e.message += `\n--- sanitizer report ---\n${report}`;
    }
    throw e;
  }
  await checkSanitizer(gw);
  return info;
}

// Ends a test's gateway the way an operator would, with SIGTERM: every
// test then also checks a clean shutdown (exit 0 within the timeout) and,
// on the ASan build, that LeakSanitizer found nothing at exit.
async function cleanUp(gw) {
  if (gw.exitInfo()) return killGateway(gw);
  const info = await stopGateway(gw, 'SIGTERM', 15000);
  if (info.code !== 0)
    throw new Error(`mcpgw exited with ${info.code ?? info.signal} on SIGTERM:\n` +
                    gw.log().split('\n').slice(-20).join('\n'));
  await killGateway(gw, { check: false });
}

async function killGateway(gw, { check = true } = {}) {
  const tree = descendantPids(gw.proc.pid);
  if (!gw.exitInfo()) {
    try {
      gw.proc.kill('SIGKILL');
    } catch {}
  }
  for (const pid of tree) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  await withTimeout(gw.exited, 5000, 'mcpgw exit after SIGKILL').catch(() => {});
  // A gateway that wrote a sanitizer report (and perhaps exited with it)
  // fails whoever cleans it up: t.after, an after hook, killAll.
  if (check && gw.log) await checkSanitizer(gw);
}

/**
 * Runs mcpgw to completion (for flag errors, --help, --version); kills it
 * after timeoutMs. Returns { code, signal, stdout, stderr, timedOut }.
 */
export async function runGateway(args, { env = {}, timeoutMs = 5000 } = {}) {
  const g = spawnGateway(args, env);
  const gw = { proc: g.proc, exited: g.exited, exitInfo: g.exitInfo };
  live.add(gw);
  gw.kill = () => killGateway(gw);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGateway(gw);
  }, timeoutMs);
  const info = await g.exited;
  clearTimeout(timer);
  live.delete(gw);
  // Let the pipes drain.
  await Promise.all([
    new Promise((r) => (g.proc.stdout.readableEnded ? r() : g.proc.stdout.once('close', r))),
    new Promise((r) => (g.proc.stderr.readableEnded ? r() : g.proc.stderr.once('close', r))),
  ]).catch(() => {});
  return { ...info, stdout: g.stdout(), stderr: g.log(), timedOut };
}

// -------------------------------------------------------- raw requests

/** Headers of a well-behaved Streamable HTTP POST, plus extra. */
export function mcpHeaders(extra = {}) {
  return { accept: ACCEPT_BOTH, 'content-type': 'application/json', ...extra };
}

/**
 * POSTs body (a string is sent as is, anything else as JSON) with headers
 * (default mcpHeaders()). Returns { status, headers, text } once the whole
 * body has arrived. opts: signal, timeoutMs (default 15000).
 */
export async function rawPost(url, body, headers, opts = {}) {
  const { signal, timeoutMs = 15000 } = opts;
  const sigs = [AbortSignal.timeout(timeoutMs)];
  if (signal) sigs.push(signal);
  const res = await fetch(url, {
    method: 'POST',
    headers: headers ?? mcpHeaders(),
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    signal: AbortSignal.any(sigs),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

/**
 * A request through node:http, for what fetch will not do: setting Host,
 * chunked bodies, odd methods. body: a string/Buffer (sent with
 * Content-Length unless chunks is used); chunks: array of strings/Buffers
 * written one by one with Transfer-Encoding: chunked.
 * Returns { status, headers (lower-case object), text }.
 */
export function httpRequest(url, { method = 'GET', headers = {}, body, chunks, timeoutMs = 15000, agent } = {}) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      method,
      headers,
      setHost: !Object.keys(headers).some((k) => k.toLowerCase() === 'host'),
      timeout: timeoutMs,
      ...(agent !== undefined ? { agent } : {}),
    }, (res) => {
      const parts = [];
      const finish = () => resolve({
        status: res.statusCode,
        headers: res.headers,
        text: Buffer.concat(parts).toString('utf8'),
      });
      got = finish;
      res.on('data', (d) => parts.push(d));
      res.on('end', finish);
      res.on('error', finish);
    });
    let got = null;
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', (e) => {
      // A server that answers early (413) may reset the upload after its
      // answer arrived: keep the answer.
      if (got) got();
      else reject(e);
    });
    if (chunks) {
      (async () => {
        for (const c of chunks) {
          if (req.destroyed) return;
          const ok = req.write(c);
          if (!ok) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      })().catch(reject);
    } else {
      req.end(body);
    }
  });
}

/** Parses an SSE body into [{event, id, data, retry}] (comments dropped). */
export function parseSse(text) {
  const events = [];
  let cur = null;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (cur) events.push({ event: cur.event, id: cur.id, data: cur.data.join('\n'), retry: cur.retry });
      cur = null;
      continue;
    }
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    cur ??= { event: undefined, id: undefined, data: [], retry: undefined };
    if (field === 'event') cur.event = value;
    else if (field === 'id') cur.id = value;
    else if (field === 'data') cur.data.push(value);
    else if (field === 'retry') cur.retry = value;
  }
  return events; // an unterminated last event is dropped, as EventSource does
}

/** The JSON-RPC messages of a POST response, SSE or JSON. */
export function messagesOf(res) {
  const ct = res.headers.get ? res.headers.get('content-type') : res.headers['content-type'];
  if (ct && ct.startsWith('text/event-stream')) {
    return parseSse(res.text)
      .filter((e) => e.data !== '' && (e.event === undefined || e.event === 'message'))
      .map((e) => JSON.parse(e.data));
  }
  if (res.text === '') return [];
  const v = JSON.parse(res.text);
  return Array.isArray(v) ? v : [v];
}

let nextId = 1000;

/** A JSON-RPC request object. */
export function rpc(method, params, id = nextId++) {
  const m = { jsonrpc: '2.0', id, method };
  if (params !== undefined) m.params = params;
  return m;
}

/** A tools/call request object. */
export function toolCall(name, args = {}, { id = nextId++, meta } = {}) {
  const params = { name, arguments: args };
  if (meta) params._meta = meta;
  return rpc('tools/call', params, id);
}

/**
 * Calls a tool with one raw POST. Returns { res, messages, response } where
 * response is the JSON-RPC response carrying the request's id.
 */
export async function callToolRaw(url, name, args = {}, opts = {}) {
  const msg = toolCall(name, args, opts);
  const res = await rawPost(url, msg, mcpHeaders(opts.headers ?? {}), opts);
  let messages = [];
  try {
    messages = messagesOf(res);
  } catch (e) {
    throw new Error(`unparsable response (HTTP ${res.status}): ${res.text.slice(0, 500)}`);
  }
  const response = messages.find((m) => m.id === msg.id && ('result' in m || 'error' in m));
  return { res, messages, response, id: msg.id };
}

/** The text of the first content item of a tools/call response. */
export function textOf(response) {
  if (!response) throw new Error('no response');
  if (response.error) throw new Error(`JSON-RPC error ${JSON.stringify(response.error)}`);
  return response.result?.content?.[0]?.text;
}

/** The value of header name from a fetch Headers or a node:http headers object. */
export function header(res, name) {
  const h = res.headers;
  if (typeof h.get === 'function') return h.get(name);
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v ?? null;
}

/**
 * Asserts res is an HTTP error with the JSON-RPC error body
 * {"jsonrpc":"2.0","error":{"code":code,"message":M},"id":null} and
 * Content-Type application/json. message: exact string, or a RegExp.
 * Returns the parsed body.
 */
export function assertJsonRpcError(res, status, code, message) {
  const where = `HTTP ${res.status} ${JSON.stringify(res.text.slice(0, 300))}`;
  assert.equal(res.status, status, `status (${where})`);
  const ct = header(res, 'content-type') ?? '';
  assert.match(ct, /^application\/json\b/i, `content-type (${where})`);
  let body;
  try {
    body = JSON.parse(res.text);
  } catch {
    assert.fail(`error body is not JSON (${where})`);
  }
  if (code !== undefined) assert.equal(body?.error?.code, code, `error.code (${where})`);
  const m = body?.error?.message;
  if (message instanceof RegExp) assert.match(String(m), message, `error.message (${where})`);
  else if (message !== undefined) assert.equal(m, message, `error.message (${where})`);
  assert.deepStrictEqual(body, {
    jsonrpc: '2.0',
    error: { code: body?.error?.code, message: m },
    id: null,
  }, `error body shape (${where})`);
  return body;
}

// ------------------------------------------------------------ SDK client

/**
 * Connects an SDK Client over StreamableHTTPClientTransport.
 * opts: headers (merged into every request), name, capabilities.
 */
export async function connectClient(url, opts = {}) {
  const { headers, name = 'mcpgw-it', capabilities = {} } = opts;
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: headers ? { headers } : undefined,
  });
  const client = new Client({ name, version: '1.0.0' }, { capabilities });
  await withTimeout(client.connect(transport), opts.timeoutMs ?? 15000, 'SDK client connect');
  return client;
}

// -------------------------------------------------------- process trees

function readStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ... — comm may contain spaces and parentheses.
    const r = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: r[0], ppid: Number(r[1]) };
  } catch {
    return null;
  }
}

/** True when pid exists and is not a zombie. */
export function isAlive(pid) {
  const st = readStat(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X';
}

/** The parent pid of pid, or null. */
export function ppidOf(pid) {
  return readStat(pid)?.ppid ?? null;
}

/** The pids of pid's live descendants (not pid itself). */
export function descendantPids(pid) {
  const children = new Map();
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const st = readStat(e);
    if (!st || st.state === 'Z' || st.state === 'X') continue;
    if (!children.has(st.ppid)) children.set(st.ppid, []);
    children.get(st.ppid).push(Number(e));
  }
  const out = [];
  const stack = [pid];
  while (stack.length) {
    for (const c of children.get(stack.pop()) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

/** How many live processes are in pid's tree below pid. */
export function descendants(pid) {
  return descendantPids(pid).length;
}

// ------------------------------------------------- guard-rail helpers

/** GET base+path through fetch; the status, or 0 when it failed. */
export async function getStatus(url, timeoutMs = 2000) {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

/** GET /readyz of gw over a connection of its own (none is kept open). */
export async function readyzStatus(gw, timeoutMs = 2000) {
  try {
    const r = await httpRequest(`${gw.base}/readyz`, { agent: false, timeoutMs });
    return r.status;
  } catch {
    return 0;
  }
}

/**
 * tools/call over node:http without keep-alive (agent: false, so the
 * connection is closed after the answer and holds no descriptor in the
 * gateway). Returns { res: {status, headers, text}, messages, response, id }.
 */
export async function callToolOnce(url, name, args = {}, opts = {}) {
  const msg = toolCall(name, args, opts);
  const res = await httpRequest(url, {
    method: 'POST',
    headers: mcpHeaders(opts.headers ?? {}),
    body: JSON.stringify(msg),
    timeoutMs: opts.timeoutMs ?? 15000,
    agent: false,
  });
  let messages = [];
  try {
    messages = messagesOf(res);
  } catch {
    throw new Error(`unparsable response (HTTP ${res.status}): ${res.text.slice(0, 500)}`);
  }
  const response = messages.find((m) => m.id === msg.id && ('result' in m || 'error' in m));
  return { res, messages, response, id: msg.id };
}

/** How many descriptors pid has open (/proc/pid/fd). */
export function fdCount(pid) {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

// Inodes of the TCP sockets in state ESTABLISHED whose local port is port.
function establishedInodes(port) {
  const inodes = new Set();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 10) continue;
      const local = c[1];
      const lport = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
      if (lport === port && c[3] === '01') inodes.add(c[9]);
    }
  }
  return inodes;
}

/**
 * pid's open descriptors, not counting the connections accepted on port
 * that are still ESTABLISHED: an idle keep-alive socket that a client
 * (fetch's pool) holds is the client's business, while a descriptor for
 * a connection the peer has closed (CLOSE_WAIT), a pipe, a timer or an
 * epoll instance is counted.
 */
export function serverFds(pid, port) {
  const est = establishedInodes(port);
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let target;
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while we looked
    }
    const m = target.match(/^socket:\[(\d+)\]$/);
    if (m && est.has(m[1])) continue;
    n += 1;
  }
  return n;
}

/** A /proc/pid/status field (VmRSS, PPid, State...) as text, or null. */
export function procStatus(pid, field) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = s.match(new RegExp(`^${field}:\\s*(.*)$`, 'm'));
    return m ? m[1].trim() : null;
  } catch {
    return null;
  }
}

/** VmRSS of pid in KiB. */
export function vmRssKb(pid) {
  const v = procStatus(pid, 'VmRSS');
  if (v === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(v.split(/\s+/)[0]);
}

/** The one-letter state of pid (R, S, Z...), or null when it is gone. */
export function procState(pid) {
  return readStat(pid)?.state ?? null;
}

/** The command line of pid as one string ('' when unreadable). */
export function cmdlineOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Opens a TCP connection to port; resolves with the socket once connected. */
export function connectRaw(port, host = '127.0.0.1', timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * Parses buf (what a server sent) as one HTTP/1.1 response. Returns null
 * until the head is in; then { status, reason, headers, body, complete }
 * (complete: the body is whole by its Content-Length or chunked framing;
 * a close-delimited body is complete only when closed is true).
 */
export function parseHttpResponse(buf, closed = false) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = head[0].match(/^HTTP\/1\.[01] (\d{3}) ?(.*)$/);
  if (!m) return null;
  const headers = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  const status = Number(m[1]);
  let rest = buf.subarray(end + 4);
  let complete = closed;
  let body = rest;
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
    complete = true;
    body = Buffer.alloc(0);
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts = [];
    let off = 0;
    complete = false;
    for (;;) {
      const nl = rest.indexOf('\r\n', off);
      if (nl < 0) break;
      const size = parseInt(rest.subarray(off, nl).toString('latin1'), 16);
      if (Number.isNaN(size)) break;
      if (size === 0) {
        complete = rest.indexOf('\r\n', nl + 2) >= 0;
        break;
      }
      if (rest.length < nl + 2 + size + 2) break;
      parts.push(rest.subarray(nl + 2, nl + 2 + size));
      off = nl + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    complete = rest.length >= n;
    body = rest.subarray(0, n);
  }
  return { status, reason: m[2], headers, body: body.toString('utf8'), complete };
}

/**
 * Writes data (string/Buffer, or an array written one piece at a time) on
 * a new connection to port and reads the answer: resolves when a whole
 * response is in (or the server closes, or timeoutMs passes) with
 * { status, headers, text, closed, complete, raw, socket }. The socket is
 * destroyed unless keepOpen.
 */
export function rawHttp(port, data, { timeoutMs = 5000, keepOpen = false, host = '127.0.0.1' } = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host });
    const got = [];
    let closed = false;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const raw = Buffer.concat(got);
      const r = parseHttpResponse(raw, closed);
      if (!keepOpen || closed) s.destroy();
      resolve({
        status: r?.status ?? 0,
        headers: r?.headers ?? {},
        text: r?.body ?? '',
        complete: r?.complete ?? false,
        closed,
        raw: raw.toString('latin1'),
        socket: s,
      });
    };
    const timer = setTimeout(finish, timeoutMs);
    s.on('data', (d) => {
      got.push(d);
      const r = parseHttpResponse(Buffer.concat(got), false);
      if (r?.complete) finish();
    });
    s.on('error', () => {}); // a reset after the answer is fine
    s.on('close', () => {
      closed = true;
      finish();
    });
    s.once('connect', () => {
      const pieces = Array.isArray(data) ? data : [data];
      for (const p of pieces) s.write(p);
    });
    s.once('error', (e) => {
      if (!got.length && !settled) {
        settled = true;
        clearTimeout(timer);
        reject(e);
      }
    });
  });
}

/** A raw HTTP/1.1 POST of body to path with mcpHeaders() (plus extra). */
export function rawPostText(port, path, body, extra = {}) {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const h = { host: `127.0.0.1:${port}`, ...mcpHeaders(), 'content-length': String(b.length), ...extra };
  const head = `POST ${path} HTTP/1.1\r\n` +
    Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), b]);
}

// ------------------------------------------------- sessions (--stateful)

/** mcpHeaders() plus Mcp-Session-Id: sid (none when sid is null). */
export function sessionHeaders(sid, extra = {}) {
  return mcpHeaders(sid == null ? extra : { 'mcp-session-id': sid, ...extra });
}

/** An initialize request (a fresh id unless given). */
export function initializeRequest({ protocolVersion = '2025-06-18', capabilities = {}, id, name = 'mcpgw-it' } = {}) {
  return rpc('initialize', {
    protocolVersion,
    capabilities,
    clientInfo: { name, version: '1.0.0' },
  }, id);
}

/**
 * Opens a session the way a client does: initialize (no Mcp-Session-Id),
 * then notifications/initialized with the id it got. Throws unless the
 * initialize got 200, a session id and a result.
 * Returns { sid, res, response }.
 */
export async function openSession(url, opts = {}) {
  const req = initializeRequest(opts);
  const res = await rawPost(url, req, mcpHeaders(opts.headers ?? {}), opts);
  const sid = header(res, 'mcp-session-id');
  let response;
  try {
    response = messagesOf(res).find((m) => m.id === req.id);
  } catch {}
  if (res.status !== 200 || !sid || !response?.result)
    throw new Error(`initialize: HTTP ${res.status}, mcp-session-id ${JSON.stringify(sid)}: ` +
                    res.text.slice(0, 300));
  const n = await rawPost(url, { jsonrpc: '2.0', method: 'notifications/initialized' },
                          sessionHeaders(sid, opts.headers ?? {}), opts);
  if (n.status !== 202)
    throw new Error(`notifications/initialized: HTTP ${n.status} ${n.text.slice(0, 300)}`);
  return { sid, res, response };
}

/** DELETE url with the session's id (none when sid is null): {status, headers, text}. */
export async function deleteSession(url, sid, { timeoutMs = 5000 } = {}) {
  const res = await fetch(url, {
    method: 'DELETE',
    headers: sid == null ? {} : { 'mcp-session-id': sid },
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/**
 * The node processes in pid's tree below pid (the MCP servers, not the
 * /bin/sh that may sit between them and the gateway).
 */
export function nodeDescendantPids(pid) {
  return descendantPids(pid).filter((p) => {
    let argv0;
    try {
      argv0 = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0];
    } catch {
      return false;
    }
    return argv0 === process.execPath || path.basename(argv0) === 'node';
  });
}

/** How many node processes are in pid's tree below pid. */
export function nodeDescendants(pid) {
  return nodeDescendantPids(pid).length;
}

/**
 * Opens an HTTP request whose answer is read as it arrives (a GET stream,
 * or a POST answered with SSE) and resolves once the status and headers
 * are in. opts: method (GET), headers, body (string or JSON), timeoutMs
 * (for the headers, 10000).
 *
 * Returns { status, headers (fetch Headers), text() (all received),
 *   messages() (the JSON-RPC messages of the complete SSE events so far,
 *   or of the JSON body once whole), next(pred, ms, what) (waits for a
 *   message satisfying pred, resolves with it), ended (a promise settled
 *   when the body ends or fails), isEnded(), close() (aborts) }.
 */
export async function openStream(url, opts = {}) {
  const { method = 'GET', headers = {}, body, timeoutMs = 10000 } = opts;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no response headers within ${timeoutMs} ms`)), timeoutMs);
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
      signal: ac.signal,
    });
  } finally {
    clearTimeout(timer);
  }
  let text = '';
  let ended = false;
  let endError = null;
  const waiters = new Set();
  const poke = () => {
    for (const w of waiters) w();
  };
  const isSse = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
  const messages = () => {
    if (isSse) {
      // Only events whose blank line has arrived (parseSse drops the rest).
      return parseSse(text)
        .filter((e) => e.data !== '' && (e.event === undefined || e.event === 'message'))
        .map((e) => JSON.parse(e.data));
    }
    if (!ended || text === '') return [];
    const v = JSON.parse(text);
    return Array.isArray(v) ? v : [v];
  };
  // An explicit reader, so close() can cancel it: aborting the fetch alone
  // can leave a read pending for ever when the body ends at that moment.
  const reader = res.body?.getReader();
  const endedP = (async () => {
    const dec = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = reader ? await reader.read() : { done: true };
        if (done) break;
        text += dec.decode(value, { stream: true });
        poke();
      }
    } catch (e) {
      endError = e;
    } finally {
      ended = true;
      poke();
    }
    return { error: endError };
  })();
  const s = {
    status: res.status,
    headers: res.headers,
    text: () => text,
    messages,
    ended: endedP,
    isEnded: () => ended,
    close: () => {
      ac.abort();
      reader?.cancel().catch(() => {});
      return endedP;
    },
    next(pred, ms = 5000, what = 'a matching message') {
      return new Promise((resolve, reject) => {
        const check = () => {
          let found;
          try {
            found = messages().find(pred);
          } catch (e) {
            done();
            reject(new Error(`unparsable stream (${e.message}): ${text.slice(0, 500)}`));
            return;
          }
          if (found) {
            done();
            resolve(found);
          } else if (ended) {
            done();
            reject(new Error(`the stream ended without ${what}; got: ${text.slice(0, 1000)}`));
          }
        };
        const t = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${ms} ms waiting for ${what}; got: ${text.slice(0, 1000)}`));
        }, ms);
        const done = () => {
          clearTimeout(t);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
  return s;
}

/** Opens the session's GET stream (Accept: text/event-stream). */
export function openGetStream(url, sid, extra = {}, opts = {}) {
  const headers = { accept: 'text/event-stream', ...extra };
  if (sid != null) headers['mcp-session-id'] = sid;
  return openStream(url, { ...opts, method: 'GET', headers });
}

/** POSTs msg in the session and returns its openStream() handle. */
export function postStream(url, sid, msg, extra = {}, opts = {}) {
  return openStream(url, { ...opts, method: 'POST', headers: sessionHeaders(sid, extra), body: msg });
}

/**
 * Streams (openStream handles) to close at the end of a test, before its
 * gateway is stopped: call before startGateway (t.after hooks run in the
 * order they were added). Returns keep(stream) -> stream.
 */
export function keepStreams(t) {
  const list = [];
  t.after(() => Promise.all(list.map((s) => s.close())));
  return (s) => {
    list.push(s);
    return s;
  };
}

/**
 * SDK clients closed at the end of a test, before its gateway stops: call
 * before startGateway. Returns connect(url, opts) -> client.
 */
export function keepClients(t) {
  const list = [];
  t.after(() => Promise.all(list.map((c) => c.close().catch(() => {}))));
  return async (url, opts = {}) => {
    const c = await connectClient(url, { timeoutMs: 20000, ...opts });
    list.push(c);
    return c;
  };
}
