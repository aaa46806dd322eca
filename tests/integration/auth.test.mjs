// Bearer tokens: --auth-token (repeatable), ACCESS_TOKEN, MCPGW_AUTH_TOKEN.
// 401 challenges, health paths open, tokens never logged.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  callToolRaw, connectClient, fixtureCmd, header, killAll, mcpHeaders,
  rawPost, startGateway, textOf, toolCall,
} from './lib.mjs';

after(killAll);

const call = (gw, headers = {}) =>
  rawPost(gw.url, toolCall('echo', { text: 'authed' }), mcpHeaders(headers));

function assertChallenge(r, { invalid }) {
  assert.equal(r.status, 401, r.text);
  const www = header(r, 'www-authenticate') ?? '';
  assert.match(www, /^Bearer\b/, `WWW-Authenticate: ${www}`);
  if (invalid) assert.match(www, /error="invalid_token"/, `WWW-Authenticate: ${www}`);
  else assert.doesNotMatch(www, /error=/, `WWW-Authenticate: ${www}`);
}

describe('--auth-token s3cret --auth-token other', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd(), '--auth-token', 's3cret',
                             '--auth-token', 'other', '--logLevel', 'debug']);
  });
  after(() => gw?.kill());

  test('no Authorization → 401, Bearer challenge without error=', async () => {
    assertChallenge(await call(gw), { invalid: false });
  });

  test('a wrong token → 401 with error="invalid_token"', async () => {
    assertChallenge(await call(gw, { authorization: 'Bearer wrong' }), { invalid: true });
  });

  test('a token that is a prefix or extension of a right one → 401', async () => {
    assertChallenge(await call(gw, { authorization: 'Bearer s3cre' }), { invalid: true });
    assertChallenge(await call(gw, { authorization: 'Bearer s3crett' }), { invalid: true });
  });

  test('another scheme → 401', async () => {
    const r = await call(gw, { authorization: 'Basic czNjcmV0Og==' });
    assert.equal(r.status, 401, r.text);
    assert.match(header(r, 'www-authenticate') ?? '', /^Bearer\b/);
  });

  for (const tok of ['s3cret', 'other']) {
    test(`Bearer ${tok} → 200`, async () => {
      const r = await call(gw, { authorization: `Bearer ${tok}` });
      assert.equal(r.status, 200, r.text);
      assert.match(r.text, /authed/);
    });
  }

  test('the scheme is case-insensitive', async () => {
    const r = await call(gw, { authorization: 'bearer s3cret' });
    assert.equal(r.status, 200, r.text);
  });

  test('health paths need no token', async () => {
    for (const p of ['/healthz', '/readyz']) {
      const r = await fetch(gw.base + p, { signal: AbortSignal.timeout(3000) });
      await r.arrayBuffer();
      assert.equal(r.status, 200, p);
    }
  });

  test('GET /mcp and unknown paths without a token are not served', async () => {
    const r = await fetch(gw.url, { headers: { accept: 'text/event-stream' },
                                    signal: AbortSignal.timeout(3000) });
    await r.arrayBuffer();
    assert.ok(r.status === 401 || r.status === 405, `GET /mcp without token → ${r.status}`);
    const u = await fetch(`${gw.base}/nowhere`, { signal: AbortSignal.timeout(3000) });
    await u.arrayBuffer();
    assert.ok(u.status === 401 || u.status === 404, `GET /nowhere without token → ${u.status}`);
  });

  test('the SDK client with requestInit Authorization works end to end', async (t) => {
    const client = await connectClient(gw.url, { headers: { Authorization: 'Bearer other' } });
    t.after(() => client.close());
    const { tools } = await client.listTools();
    assert.ok(tools.some((x) => x.name === 'echo'));
    const r = await client.callTool({ name: 'echo', arguments: { text: 'via sdk' } });
    assert.equal(r.content[0].text, 'via sdk');
  });

  test('the SDK client without a token fails to connect', async () => {
    await assert.rejects(connectClient(gw.url, { timeoutMs: 5000 }),
                         (e) => e.code === 401 || /401/.test(e.message));
  });

  test('the token text never appears in the log (--logLevel debug)', async () => {
    // Make sure there is something to log first.
    await call(gw, { authorization: 'Bearer s3cret' });
    await call(gw, { authorization: 'Bearer wrong' });
    await call(gw);
    assert.ok(gw.log().length > 0, 'debug logging produced output');
    assert.ok(!gw.log().includes('s3cret'), 'token s3cret is not in the log');
    assert.ok(!/Bearer other/i.test(gw.log()), 'token other is not in the log');
  });
});

for (const [name, value] of [['ACCESS_TOKEN', 'envtok'], ['MCPGW_AUTH_TOKEN', 'mcpgw-envtok']]) {
  test(`${name}=${value} in the gateway's environment is a valid token`, async (t) => {
    const gw = await startGateway(['--stdio', fixtureCmd(), '--logLevel', 'debug'],
                                  { t, env: { [name]: value } });
    assertChallenge(await call(gw), { invalid: false });
    assertChallenge(await call(gw, { authorization: 'Bearer nope' }), { invalid: true });
    const r = await call(gw, { authorization: `Bearer ${value}` });
    assert.equal(r.status, 200, r.text);
    assert.ok(!gw.log().includes(value), `${value} is not in the log`);
  });
}

test('the child does not see the gateway\'s tokens in its environment', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], {
    t, env: { ACCESS_TOKEN: 'envtok', MCPGW_AUTH_TOKEN: 'mcpgw-envtok' },
  });
  const auth = { headers: { authorization: 'Bearer envtok' } };
  for (const n of ['ACCESS_TOKEN', 'MCPGW_AUTH_TOKEN']) {
    const { response } = await callToolRaw(gw.url, 'env', { name: n }, auth);
    assert.equal(textOf(response), '(unset)', n);
  }
});
