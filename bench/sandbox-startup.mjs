#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// What --sandbox adds to the first answer: starts mcpgw in front of an MCP
// server RUNS times per variant (off, --sandbox, --sandbox --no-network),
// the variants interleaved so drift hits them alike, and times from
// spawning mcpgw to the answer of its first tools/call, sent as soon as it
// listens (calls made before the server is ready wait for it). Prints the
// medians and what the sandbox adds to them. Needs root for the sandbox
// as CI runs it (the server runs as nobody) and a build in build/.
//
// Usage: node bench/sandbox-startup.mjs [RUNS] [fixture|everything]

import { spawn } from 'node:child_process';
import path from 'node:path';

import {
  MCPGW_BIN, ROOT, callToolRaw, everythingCmd, fixtureCmd, freePort, gatewayEnv, textOf,
} from '../tests/integration/lib.mjs';

const RUNS = Number(process.argv[2] ?? 9);
const SERVER = process.argv[3] ?? 'fixture';
const FIXTURES = path.join(ROOT, 'tests', 'fixtures');
const servers = {
  fixture: { cmd: `exec ${fixtureCmd()}`, tool: 'echo', args: { text: 'hi' }, want: 'hi', read: FIXTURES },
  everything: { cmd: `exec ${everythingCmd()}`, tool: 'echo', args: { message: 'hi' }, want: 'Echo: hi',
    read: path.join(ROOT, 'node_modules') },
};
const server = servers[SERVER];
if (!server || !(RUNS > 0)) {
  console.error('usage: node bench/sandbox-startup.mjs [RUNS] [fixture|everything]');
  process.exit(2);
}
const VARIANTS = [
  ['off', []],
  ['--sandbox', ['--sandbox', '--allow-read', server.read]],
  ['--sandbox --no-network', ['--sandbox', '--no-network', '--allow-read', server.read]],
];

/** One start: { listen, answer } in ms from the spawn. */
async function once(flags) {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
  const gw = spawn(MCPGW_BIN, ['--port', String(port), '--stdio', server.cmd, ...flags],
    { env: gatewayEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise((r) => gw.once('exit', r));
  const listen = await new Promise((resolve, reject) => {
    gw.stderr.setEncoding('utf8');
    gw.stderr.on('data', (d) => {
      log += d;
      if (/ listening on /.test(log)) resolve(ms());
    });
    gw.once('exit', () => reject(new Error(`mcpgw exited:\n${log}`)));
  });
  const { response } = await callToolRaw(`http://127.0.0.1:${port}/mcp`, server.tool, server.args,
    { timeoutMs: 30000 });
  const answer = ms();
  if (textOf(response) !== server.want) throw new Error(`unexpected answer ${JSON.stringify(response)}`);
  gw.kill('SIGTERM');
  await exited;
  return { listen, answer };
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const results = new Map(VARIANTS.map(([name]) => [name, { listen: [], answer: [] }]));
await once(VARIANTS[0][1]); // warm the page cache for node and the server
for (let i = 0; i < RUNS; i++) {
  for (const [name, flags] of VARIANTS) {
    const r = await once(flags);
    results.get(name).listen.push(r.listen);
    results.get(name).answer.push(r.answer);
  }
}

const base = median(results.get('off').answer);
console.log(`mcpgw start-up, ${SERVER} server, ${RUNS} runs each, medians in ms (uid ${process.getuid()})`);
console.log('| variant | listening | first answer | min-max first answer | added to first answer |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [name] of VARIANTS) {
  const r = results.get(name);
  const a = median(r.answer);
  console.log(`| ${name} | ${median(r.listen).toFixed(1)} | ${a.toFixed(1)} | ` +
    `${Math.min(...r.answer).toFixed(1)}-${Math.max(...r.answer).toFixed(1)} | ` +
    `${name === 'off' ? '' : `${a >= base ? '+' : ''}${(a - base).toFixed(1)}`} |`);
}
