// /healthz (alive), /readyz (child initialized), --healthEndpoint paths,
// and requests that arrive before the child is ready.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  callToolRaw, fixtureCmd, killAll, startGateway, textOf, waitFor,
} from './lib.mjs';

after(killAll);

const status = async (url) => {
  const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
  await r.arrayBuffer();
  return r.status;
};

test('/healthz and /readyz are 200 on a running, ready gateway', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  assert.equal(await status(`${gw.base}/healthz`), 200);
  assert.equal(await status(`${gw.base}/readyz`), 200);
  // HEAD works too for probes that use it, or at least does not hang.
  const h = await fetch(`${gw.base}/healthz`, { method: 'HEAD', signal: AbortSignal.timeout(3000) });
  assert.ok(h.status === 200 || h.status === 405, `HEAD /healthz → ${h.status}`);
});

test('/readyz is 503 until the child answers initialize; early calls wait', async (t) => {
  const gw = await startGateway(
    ['--stdio', fixtureCmd({ FIXTURE_INIT_DELAY_MS: 1500 }), '--healthEndpoint', '/ping'],
    { t, readyz: false });
  assert.equal(await status(`${gw.base}/healthz`), 200, '/healthz while starting');
  assert.equal(await status(`${gw.base}/readyz`), 503, '/readyz while starting');
  assert.equal(await status(`${gw.base}/ping`), 503, '--healthEndpoint /ping while starting');

  const t0 = Date.now();
  const { response } = await callToolRaw(gw.url, 'echo', { text: 'early bird' },
                                         { timeoutMs: 10000 });
  assert.equal(textOf(response), 'early bird');
  assert.ok(Date.now() - t0 < 8000, 'the early call was answered once ready');

  assert.equal(await status(`${gw.base}/readyz`), 200, '/readyz once ready');
  assert.equal(await status(`${gw.base}/ping`), 200, '/ping once ready');
  assert.equal(await status(`${gw.base}/healthz`), 200);
});

test('--healthEndpoint /ping is 200 when ready', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--healthEndpoint', '/ping'], { t });
  assert.equal(await status(`${gw.base}/ping`), 200);
  assert.equal(await status(`${gw.base}/readyz`), 200);
});

test('a child that exits on start: alive but not ready, restarted with back-off', async (t) => {
  const t0 = Date.now();
  const gw = await startGateway(['--stdio', fixtureCmd({ FIXTURE_EXIT_ON_START: 1 })],
                                { t, readyz: false });
  const starts = () => (gw.log().match(/fixture: exiting on start/g) ?? []).length;
  // Restarted at all: a second start within 10 s.
  await waitFor(() => starts() >= 2, { timeoutMs: 10000, what: 'a second child start' });
  // Meanwhile and afterwards, alive but not ready.
  for (let i = 0; i < 5; i++) {
    assert.equal(await status(`${gw.base}/healthz`), 200);
    assert.equal(await status(`${gw.base}/readyz`), 503);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(gw.exitInfo(), null, 'the gateway keeps running');
  // No tight loop: fewer than 5 starts per second on average.
  const secs = (Date.now() - t0) / 1000;
  assert.ok(starts() <= 2 + 5 * secs, `restarts back off (${starts()} starts in ${secs} s)`);
});

test('/healthz answers while a call is in flight', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const call = callToolRaw(gw.url, 'sleep', { ms: 800 });
  await waitFor(async () => (await status(`${gw.base}/healthz`)) === 200,
                { timeoutMs: 500, what: '/healthz during a call' });
  assert.equal(textOf((await call).response), 'slept 800');
});
