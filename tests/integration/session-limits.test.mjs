// --max-inflight holds per session: a session at its bound gets 503, while
// another session (its own child) is not held up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureCmd, openSession, rawPost, sessionHeaders, startGateway } from './lib.mjs';

const call = (id, name, args) => ({ jsonrpc: '2.0', id, method: 'tools/call',
                                    params: { name, arguments: args } });

test('in-flight bound per session', { timeout: 30000 }, async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--stateful', '--max-inflight', '1'],
                                { t });
  const a = await openSession(gw.url), b = await openSession(gw.url);
  const slow = rawPost(gw.url, call(1, 'sleep', { ms: 1500 }), sessionHeaders(a.sid));
  await gw.waitForLog(/fixture: sleep/, 5000);

  const over = await rawPost(gw.url, call(2, 'echo', { text: 'x' }), sessionHeaders(a.sid));
  assert.equal(over.status, 503);
  const body = JSON.parse(over.text);
  assert.equal(body.error.code, -32000);
  assert.equal(body.error.message, 'Too many requests in flight');
  assert.equal(body.id, 2);

  const other = await rawPost(gw.url, call(3, 'echo', { text: 'other' }), sessionHeaders(b.sid));
  assert.equal(other.status, 200);
  assert.match(other.text, /"text":"other"/);

  assert.equal((await slow).status, 200);
  const after = await rawPost(gw.url, call(4, 'echo', { text: 'y' }), sessionHeaders(a.sid));
  assert.equal(after.status, 200);
});
