#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// Drives the container from outside as a user would, and prints one TAP
// line per check; exits 1 if any failed.
//
//   node client.mjs filesystem URL TOKEN   the SDK client and
//       @modelcontextprotocol/server-filesystem on /data, --stateful
//   node client.mjs sandbox URL TOKEN      tests/fixtures/hostile-server.mjs
//       under the image's default sandbox

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [mode, url, token] = process.argv.slice(2);
let n = 0;
let failed = 0;

function check(cond, name, detail) {
  n++;
  if (!cond) failed++;
  console.log(`    ${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond && detail !== undefined) console.log(`    #   ${JSON.stringify(detail)}`);
}

function text(result) {
  return (result.content || []).map((c) => c.text || '').join('');
}

async function connect() {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'mcpgw-image-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

async function unauthenticated() {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  check(res.status === 401, 'no token: 401', res.status);
  const wrong = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: 'Bearer not-the-token',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  check(wrong.status === 401, 'wrong token: 401', wrong.status);
}

async function filesystem() {
  await unauthenticated();
  const { client, transport } = await connect();
  check(client.getServerVersion()?.name?.includes('filesystem'), 'initialize reaches server-filesystem', client.getServerVersion());
  check(typeof transport.sessionId === 'string' && transport.sessionId.length > 0, 'SUPERGATEWAY_EXTRA_ARGS=--stateful: a session id', transport.sessionId);
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  check(names.includes('write_file') && names.includes('read_text_file'), 'tools/list', names);

  const dirs = text(await client.callTool({ name: 'list_allowed_directories', arguments: {} }));
  check(dirs.includes('/data'), 'NPM_MCP_ARGS=/data is its directory', dirs);

  const body = `written through mcpgw at ${new Date().toISOString()}`;
  const w = await client.callTool({ name: 'write_file', arguments: { path: '/data/hello.txt', content: body } });
  check(!w.isError, 'write_file /data/hello.txt (the volume is writable)', text(w));
  const r = await client.callTool({ name: 'read_text_file', arguments: { path: '/data/hello.txt' } });
  check(text(r) === body, 'read_text_file gives it back', text(r));

  await transport.terminateSession();
  await client.close();
}

// The hostile fixture answers {"ok":..., "code":...} for each attempt.
async function attempt(client, name, args) {
  const r = await client.callTool({ name, arguments: args });
  try {
    return JSON.parse(text(r));
  } catch {
    return { ok: false, error: text(r) };
  }
}

async function sandbox() {
  const { client, transport } = await connect();
  const data = await attempt(client, 'write_file', { path: '/data/sandboxed.txt', text: 'x' });
  check(data.ok, 'sandboxed server writes /data', data);
  for (const path of ['/tmp/escape', '/usr/local/lib/escape', '/fixtures/escape']) {
    const r = await attempt(client, 'write_file', { path, text: 'x' });
    check(!r.ok && (r.code === 'EACCES' || r.code === 'EROFS'), `sandboxed server cannot write ${path}`, r);
  }
  const env = await attempt(client, 'proc_environ', { pid: 1 });
  check(!env.ok, "sandboxed server cannot read the gateway's /proc/1/environ", env);
  const own = await attempt(client, 'environ', {});
  const leaked = JSON.stringify(own).includes(token) || JSON.stringify(own).includes('ACCESS_TOKEN');
  check(own.ok && !leaked, 'no token in the server environment', own.ok);
  const net = await attempt(client, 'connect', { host: '127.0.0.1', port: Number(new URL(url).port) });
  check(net.ok, 'the network stays open (no --no-network by default)', net);
  await transport.terminateSession().catch(() => {});
  await client.close();
}

try {
  if (mode === 'filesystem') await filesystem();
  else if (mode === 'sandbox') await sandbox();
  else throw new Error(`unknown mode ${mode}`);
} catch (e) {
  check(false, `${mode}: no exception`, String(e));
}
console.log(`    1..${n}`);
process.exit(failed ? 1 : 0);
