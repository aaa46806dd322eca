// --cors: preflights, CORS headers on answers and on refusals, origin
// lists with exact values and /regex/ (POSIX extended), the Host check
// still in force, and the flag's spellings (bare, last, =*, values then
// another flag).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  assertJsonRpcError, fixtureCmd, header, httpRequest, killAll, mcpHeaders,
  startGateway, toolCall,
} from './lib.mjs';

after(killAll);

const tag = `${process.pid}-${Date.now()}`;
const APP = 'http://app.example';
const REGEX = '/^https?:\\/\\/b\\.example(:[0-9]+)?$/';
const REQUESTED = ['content-type', 'authorization', 'mcp-protocol-version'];

const list = (v) => String(v ?? '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);

function preflight(gw, origin, extra = {}) {
  return httpRequest(gw.url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': REQUESTED.join(', '),
      ...extra,
    },
  });
}

function post(gw, headers = {}, text = `cors ${tag}`) {
  return httpRequest(gw.url, {
    method: 'POST',
    headers: mcpHeaders(headers),
    body: JSON.stringify(toolCall('echo', { text })),
  });
}

function assertPreflight(r, allowOrigin) {
  const where = `HTTP ${r.status} ${JSON.stringify(r.headers)}`;
  assert.equal(r.status, 204, where);
  assert.equal(header(r, 'access-control-allow-origin'), allowOrigin, where);
  const methods = list(header(r, 'access-control-allow-methods'));
  for (const m of ['post', 'get', 'delete', 'options']) {
    assert.ok(methods.includes(m), `allow-methods has ${m.toUpperCase()} (${where})`);
  }
  const allowed = list(header(r, 'access-control-allow-headers'));
  for (const h of REQUESTED) assert.ok(allowed.includes(h), `allow-headers has ${h} (${where})`);
  assert.match(header(r, 'access-control-max-age') ?? '', /^\d+$/, `max-age (${where})`);
  assert.ok(list(header(r, 'vary')).includes('origin'), `Vary has Origin (${where})`);
}

function assertCorsAnswer(r, allowOrigin) {
  const where = `HTTP ${r.status} ${JSON.stringify(r.headers)}`;
  assert.equal(header(r, 'access-control-allow-origin'), allowOrigin, where);
  const exposed = list(header(r, 'access-control-expose-headers'));
  for (const h of ['mcp-session-id', 'mcp-protocol-version']) {
    assert.ok(exposed.includes(h), `expose-headers has ${h} (${where})`);
  }
}

describe('--cors (bare, the last flag)', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd(), '--cors']);
  });
  after(async () => assert.deepEqual(await gw.stop(), { code: 0, signal: null }));

  test('preflight → 204 with the CORS headers', async () => {
    assertPreflight(await preflight(gw, APP), '*');
  });

  test('POST with that Origin → 200, allow-origin *, expose-headers', async () => {
    const r = await post(gw, { origin: APP });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, new RegExp(`cors ${tag}`));
    assertCorsAnswer(r, '*');
  });

  test('the Host check still applies: Host evil.example.com → 403', async () => {
    const r = await post(gw, { origin: APP, host: 'evil.example.com' });
    assertJsonRpcError(r, 403, -32000, /^Invalid Host header/);
  });

  test('a preflight with Host evil.example.com → 403', async () => {
    const r = await preflight(gw, APP, { host: 'evil.example.com' });
    assert.equal(r.status, 403, r.text);
  });
});

describe('--auth-token t --cors=*', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd(), '--auth-token', 't', '--cors=*']);
  });
  after(async () => assert.deepEqual(await gw.stop(), { code: 0, signal: null }));

  test('a preflight needs no token → 204', async () => {
    assertPreflight(await preflight(gw, APP), '*');
  });

  test('POST without a token from the allowed origin → 401 with CORS headers', async () => {
    const r = await post(gw, { origin: APP });
    assert.equal(r.status, 401, r.text);
    assert.equal(header(r, 'access-control-allow-origin'), '*', JSON.stringify(r.headers));
  });

  test('a 406 carries the CORS headers too', async () => {
    const r = await post(gw, { origin: APP, authorization: 'Bearer t', accept: 'text/html' });
    assert.equal(r.status, 406, r.text);
    assert.equal(header(r, 'access-control-allow-origin'), '*', JSON.stringify(r.headers));
  });

  test('POST with the token → 200 with CORS headers', async () => {
    const r = await post(gw, { origin: APP, authorization: 'Bearer t' });
    assert.equal(r.status, 200, r.text);
    assertCorsAnswer(r, '*');
  });
});

describe(`--cors http://a.example ${REGEX} --port N`, () => {
  let gw;
  before(async () => {
    gw = await startGateway((port) => ['--stdio', fixtureCmd(), '--cors', 'http://a.example', REGEX,
                                       '--port', String(port)]);
  });
  after(async () => assert.deepEqual(await gw.stop(), { code: 0, signal: null }));

  for (const origin of ['http://a.example', 'https://b.example:8443', 'http://b.example']) {
    test(`Origin ${origin} → reflected exactly, Vary: Origin`, async () => {
      const r = await post(gw, { origin });
      assert.equal(r.status, 200, r.text);
      assertCorsAnswer(r, origin);
      assert.ok(list(header(r, 'vary')).includes('origin'), `Vary: ${header(r, 'vary')}`);
      assertPreflight(await preflight(gw, origin), origin);
    });
  }

  for (const origin of ['http://evil.example', 'http://a.example.evil', 'https://b.example.evil',
                        'http://a.example:8080']) {
    test(`Origin ${origin} → 403 without allow-origin`, async () => {
      const r = await post(gw, { origin });
      assertJsonRpcError(r, 403, -32000, `Invalid Origin header: ${origin}`);
      assert.equal(header(r, 'access-control-allow-origin'), null, JSON.stringify(r.headers));
    });
  }

  test('preflight from http://evil.example → 403', async () => {
    const r = await preflight(gw, 'http://evil.example');
    assert.equal(r.status, 403, r.text);
    assert.equal(header(r, 'access-control-allow-origin'), null, JSON.stringify(r.headers));
  });
});

describe('--cors http://a.example --port N (one value, then another flag)', () => {
  let gw;
  before(async () => {
    gw = await startGateway((port) => ['--stdio', fixtureCmd(), '--cors', 'http://a.example',
                                       '--port', String(port)]);
  });
  after(async () => assert.deepEqual(await gw.stop(), { code: 0, signal: null }));

  test('listens on N and reflects http://a.example', async () => {
    const r = await post(gw, { origin: 'http://a.example' });
    assert.equal(r.status, 200, r.text);
    assertCorsAnswer(r, 'http://a.example');
  });

  test('other origins are refused', async () => {
    const r = await post(gw, { origin: APP });
    assertJsonRpcError(r, 403, -32000, `Invalid Origin header: ${APP}`);
  });
});

describe('without --cors', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd()]);
  });
  after(async () => assert.deepEqual(await gw.stop(), { code: 0, signal: null }));

  test('OPTIONS /mcp → 405', async () => {
    const r = await preflight(gw, `http://127.0.0.1:${gw.port}`);
    assert.equal(r.status, 405, r.text);
    assert.match(header(r, 'allow') ?? '', /\bPOST\b/);
  });

  test('no CORS headers on a POST', async () => {
    const r = await post(gw, {});
    assert.equal(r.status, 200, r.text);
    assert.equal(header(r, 'access-control-allow-origin'), null);
  });
});
