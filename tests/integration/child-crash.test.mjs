// The shared child dies mid-call: every call in flight gets a JSON-RPC
// error at once, the child is restarted, readiness comes back, and new
// calls reach the new process.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  callToolRaw, fixtureCmd, isAlive, killAll, startGateway, textOf, waitFor,
} from './lib.mjs';

after(killAll);

const readyz = async (gw) => {
  try {
    const r = await fetch(`${gw.base}/readyz`, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
};

test('crash mid-call: in-flight calls fail fast with -32000, the child comes back', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const pid1 = Number(textOf((await callToolRaw(gw.url, 'pid')).response));
  assert.ok(pid1 > 0);

  const tag = `${process.pid}-${Date.now()}`;
  let t0 = Infinity; // set when the crash is sent
  const sleepers = Array.from({ length: 5 }, (_, i) =>
    callToolRaw(gw.url, 'sleep', { ms: 2000, text: `sleeper-${i}-${tag}` }, { timeoutMs: 10000 })
      .then((r) => ({ ...r, ms: Date.now() - t0 })));
  // All five must be in the child before it dies.
  for (let i = 0; i < 5; i++) await gw.waitForLog(new RegExp(`text=sleeper-${i}-${tag}`), 5000);
  t0 = Date.now();
  const crash = callToolRaw(gw.url, 'crash', {}, { timeoutMs: 10000 })
    .then((r) => ({ ...r, ms: Date.now() - t0 }));

  const results = await Promise.all(sleepers);
  for (const [i, r] of results.entries()) {
    assert.equal(r.res.status, 200, `sleeper ${i}: HTTP ${r.res.status} ${r.res.text}`);
    assert.ok(r.response, `sleeper ${i} got a response: ${r.res.text}`);
    assert.equal(r.response.error?.code, -32000,
                 `sleeper ${i} got a -32000 error: ${JSON.stringify(r.response)}`);
    assert.ok(r.ms < 1500, `sleeper ${i} answered ${r.ms} ms after the crash (want well under 2000)`);
  }
  const c = await crash;
  assert.ok(c.response?.error, `the crash call itself gets an error: ${c.res.text}`);
  assert.ok(c.ms < 1500, `the crash call answered after ${c.ms} ms`);

  await waitFor(async () => (await readyz(gw)) === 200,
                { timeoutMs: 8000, what: '/readyz 200 after the restart' });
  const { response } = await callToolRaw(gw.url, 'echo', { text: 'after crash' });
  assert.equal(textOf(response), 'after crash');

  const pid2 = Number(textOf((await callToolRaw(gw.url, 'pid')).response));
  assert.ok(pid2 > 0);
  assert.notEqual(pid2, pid1, 'a new child process');
  assert.equal(isAlive(pid1), false, 'the old child is gone');
  assert.equal(gw.exitInfo(), null, 'the gateway survived');
});

test('crash_after while idle: the gateway notices and restarts the child', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const pid1 = Number(textOf((await callToolRaw(gw.url, 'pid')).response));
  // crash_after answers nothing; the call itself fails when the child exits.
  const r = await callToolRaw(gw.url, 'crash_after', { ms: 100 }, { timeoutMs: 10000 });
  assert.equal(r.response?.error?.code, -32000, r.res.text);
  await waitFor(async () => (await readyz(gw)) === 200, { timeoutMs: 8000, what: 'ready again' });
  const pid2 = Number(textOf((await callToolRaw(gw.url, 'pid')).response));
  assert.notEqual(pid2, pid1);
});

test('a call that arrives while the child is restarting waits and succeeds', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const c = await callToolRaw(gw.url, 'crash', {}, { timeoutMs: 10000 });
  assert.ok(c.response?.error, c.res.text);
  // Sent straight after the crash was reported, very likely before the
  // new child is initialized.
  const { response } = await callToolRaw(gw.url, 'echo', { text: 'patient' }, { timeoutMs: 10000 });
  assert.equal(textOf(response), 'patient');
});
