// Graceful shutdown: calls in flight finish, the gateway exits 0, and no
// process of the child's tree is left behind.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  callToolRaw, descendantPids, descendants, fixtureCmd, isAlive, killAll,
  startGateway, textOf, waitFor, withTimeout,
} from './lib.mjs';

after(killAll);

async function childTree(gw) {
  const nodePid = Number(textOf((await callToolRaw(gw.url, 'pid')).response));
  const tree = descendantPids(gw.pid);
  assert.ok(tree.includes(nodePid), `the fixture (${nodePid}) is in the gateway's tree ${tree}`);
  return { nodePid, tree };
}

test('SIGTERM with a call in flight: the call completes, exit 0, no process left', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const { nodePid, tree } = await childTree(gw);
  assert.ok(descendants(gw.pid) >= 1);

  const call = callToolRaw(gw.url, 'sleep', { ms: 500, text: 'finished' }, { timeoutMs: 10000 });
  await gw.waitForLog(/fixture: sleep .*text=finished/, 5000);
  const stopped = gw.stop('SIGTERM', 15000);

  const { res, response } = await call;
  assert.equal(res.status, 200, res.text);
  assert.equal(textOf(response), 'finished');

  assert.deepEqual(await stopped, { code: 0, signal: null });
  await waitFor(() => tree.every((p) => !isAlive(p)),
                { timeoutMs: 5000, what: `child tree ${tree} to be gone` });
  assert.equal(isAlive(nodePid), false, 'the fixture process is gone');
});

test('SIGTERM when idle: prompt exit 0, no process left', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const { tree } = await childTree(gw);
  const t0 = Date.now();
  assert.deepEqual(await gw.stop('SIGTERM', 10000), { code: 0, signal: null });
  assert.ok(Date.now() - t0 < 5000, `exited after ${Date.now() - t0} ms`);
  await waitFor(() => tree.every((p) => !isAlive(p)),
                { timeoutMs: 5000, what: `child tree ${tree} to be gone` });
});

test('SIGINT: exit 0, no process left', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const { tree } = await childTree(gw);
  assert.deepEqual(await gw.stop('SIGINT', 10000), { code: 0, signal: null });
  await waitFor(() => tree.every((p) => !isAlive(p)),
                { timeoutMs: 5000, what: `child tree ${tree} to be gone` });
});

test('a request arriving during the drain settles and does not block the shutdown', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const call = callToolRaw(gw.url, 'sleep', { ms: 800, text: 'draining' }, { timeoutMs: 10000 });
  await gw.waitForLog(/fixture: sleep .*text=draining/, 5000);
  const stopped = gw.stop('SIGTERM', 15000);
  await new Promise((r) => setTimeout(r, 100));
  // Refused, closed or answered: any of these, but promptly.
  await withTimeout(
    callToolRaw(gw.url, 'echo', { text: 'late' }, { timeoutMs: 5000 }).catch(() => {}),
    6000, 'a request after SIGTERM');
  assert.equal(textOf((await call).response), 'draining');
  assert.deepEqual(await stopped, { code: 0, signal: null });
});
