// A client that goes away mid-call: the gateway tells the child with
// notifications/cancelled and keeps serving everyone else.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  callToolRaw, fixtureCmd, killAll, mcpHeaders, startGateway, textOf, toolCall,
} from './lib.mjs';

after(killAll);

let seq = 0;

// POSTs a sleep call, waits until the child has it (the fixture logs each
// sleep) and at least afterMs have passed, then drops the connection.
async function abortedCall(gw, args, afterMs, id) {
  const text = args.text ?? `abort-${process.pid}-${++seq}`;
  const ac = new AbortController();
  const t0 = Date.now();
  const p = fetch(gw.url, {
    method: 'POST',
    headers: mcpHeaders(),
    body: JSON.stringify(toolCall('sleep', { ...args, text }, id === undefined ? {} : { id })),
    signal: ac.signal,
  }).then((r) => r.text());
  p.catch(() => {});
  await gw.waitForLog(new RegExp(`fixture: sleep .*text=${text}(\n|$)`, 'm'), 5000);
  const wait = afterMs - (Date.now() - t0);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  ac.abort();
  await assert.rejects(p, { name: 'AbortError' });
}

test('disconnect mid-call → notifications/cancelled reaches the child', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  await abortedCall(gw, { ms: 3000 }, 300);
  const t0 = Date.now();
  await gw.waitForLog(/fixture: cancelled/, 1500);
  assert.ok(Date.now() - t0 < 1500, `cancelled ${Date.now() - t0} ms after the disconnect`);
  const { response } = await callToolRaw(gw.url, 'echo', { text: 'still serving' });
  assert.equal(textOf(response), 'still serving');
});

test('one disconnect cancels only that call', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const survivor = callToolRaw(gw.url, 'sleep', { ms: 1500, text: 'survivor' });
  await gw.waitForLog(/fixture: sleep .*text=survivor/, 5000);
  await abortedCall(gw, { ms: 3000 }, 200);
  await gw.waitForLog(/fixture: cancelled/, 1500);
  assert.equal(textOf((await survivor).response), 'survivor');
  const cancels = gw.log().match(/fixture: cancelled/g) ?? [];
  assert.equal(cancels.length, 1, 'exactly one cancellation');
});

test('a late reply to a cancelled call is dropped, not given to a new caller', async (t) => {
  // The child logs the cancellation but answers anyway, late.
  const gw = await startGateway(['--stdio', fixtureCmd({ FIXTURE_IGNORE_CANCEL: 1 })], { t });
  await abortedCall(gw, { ms: 600, text: 'late-reply' }, 100, 1);
  await gw.waitForLog(/fixture: cancelled/, 1500);
  // Same client-side id, in flight while the late reply comes back.
  const r = await callToolRaw(gw.url, 'sleep', { ms: 1000, text: 'new caller' }, { id: 1 });
  assert.equal(textOf(r.response), 'new caller');
  assert.equal(r.messages.length, 1, r.res.text);
  assert.equal(gw.exitInfo(), null);
});

test('many aborted calls do not disturb later ones', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  await Promise.all(Array.from({ length: 5 }, () => abortedCall(gw, { ms: 2000 }, 100)));
  await gw.waitForLog(/(fixture: cancelled[^]*){5}/, 2000);
  const rs = await Promise.all(Array.from({ length: 5 }, (_, i) =>
    callToolRaw(gw.url, 'echo', { text: `after-${i}` })));
  rs.forEach((r, i) => assert.equal(textOf(r.response), `after-${i}`));
  assert.equal(gw.exitInfo(), null);
});
