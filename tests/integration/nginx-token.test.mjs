// SPDX-License-Identifier: MIT
//
// The common Supergateway deployment with mcpgw in its place: nginx
// terminates TLS with a self-signed certificate, checks
// "Bearer $ACCESS_TOKEN" itself, and forwards to mcpgw --stateful on
// loopback, which has ACCESS_TOKEN in its environment too. The site is
// conf/nginx/mcpgw.conf.template through envsubst, as its comment says.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { fixtureCmd, freePort, initializeRequest, mcpHeaders, startGateway } from './lib.mjs';
import {
  CONF, envsubst, fetchAll, localSite, makeCert, startNginx, substitute, tempDir,
} from './nginx-lib.mjs';

const TOKEN = 'tok-3f9a1c7e5b2d4f6a8c0e1f2a3b4c5d6e';
const here = path.dirname(new URL(import.meta.url).pathname);

async function setUp(t) {
  const dir = tempDir(t);
  const cert = makeCert(dir);
  const gw = await startGateway(['--stateful', '--stdio', fixtureCmd({}, { exec: true })],
                                { t, env: { ACCESS_TOKEN: TOKEN } });
  const [tlsPort, httpPort] = [await freePort(), await freePort()];
  let site = envsubst(fs.readFileSync(path.join(CONF, 'mcpgw.conf.template'), 'utf8'),
                      { ACCESS_TOKEN: TOKEN });
  site = substitute(site, [['server 127.0.0.1:8000;', `server 127.0.0.1:${gw.port};`]]);
  site = localSite(site, { dir, cert, tlsPort, httpPort });
  const nginx = await startNginx(t, dir, site, tlsPort);
  return { dir, cert, gw, nginx, base: `https://localhost:${tlsPort}`, httpPort };
}

test('nginx checks the token, mcpgw serves the SDK client through TLS', async (t) => {
  const { cert, gw, base, httpPort } = await setUp(t);
  const ca = cert.pem;

  // No token, a wrong one: nginx answers, with a JSON-RPC error body.
  for (const auth of [undefined, 'Bearer nope', `bearer ${TOKEN}`]) {
    const r = await fetchAll(`${base}/mcp`, {
      method: 'POST', ca, body: initializeRequest(),
      headers: mcpHeaders(auth ? { authorization: auth } : {}),
    });
    assert.equal(r.status, 401, `${auth}: ${r.text}`);
    assert.match(r.headers['www-authenticate'] ?? '', /^Bearer realm="mcpgw"/);
    assert.equal(JSON.parse(r.text).error.code, -32000);
  }
  assert.doesNotMatch(gw.log(), /"POST \/mcp"/, 'refused requests never reached mcpgw');

  // Probes need no token; plain HTTP is sent to HTTPS.
  assert.equal((await fetchAll(`${base}/healthz`, { ca })).status, 200);
  assert.equal((await fetchAll(`${base}/readyz`, { ca })).status, 200);
  const redirect = await fetchAll(`http://localhost:${httpPort}/mcp`);
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, 'https://localhost/mcp');

  // The official SDK client, trusting the certificate as a user would.
  const { stdout } = await promisify(execFile)(process.execPath, [
    path.join(here, 'nginx-sdk-client.mjs'), `${base}/mcp`, TOKEN,
  ], { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert.cert }, timeout: 30000 });
  const seen = JSON.parse(stdout);
  assert.match(seen.sessionId, /^[0-9a-f]{32}$/);
  assert.ok(seen.tools.includes('echo'), JSON.stringify(seen.tools));
  assert.equal(seen.echo, 'through nginx');
  assert.equal(seen.progress, 3, 'every progress notification came through');
  assert.equal(seen.done, 'done 3');
  await gw.waitForLog(new RegExp(`session: ${seen.sessionId.slice(0, 8)} ended`));
});

test('mcpgw itself still refuses a request nginx would pass without the token check', async (t) => {
  // The same token in mcpgw's environment guards the loopback port too,
  // for a caller on the host that goes around nginx.
  const { gw } = await setUp(t);
  const r = await fetchAll(`${gw.url}`, { method: 'POST', headers: mcpHeaders(), body: initializeRequest() });
  assert.equal(r.status, 401);
  const ok = await fetchAll(`${gw.url}`, {
    method: 'POST', headers: mcpHeaders({ authorization: `Bearer ${TOKEN}` }), body: initializeRequest(),
  });
  assert.equal(ok.status, 200, ok.text);
});
