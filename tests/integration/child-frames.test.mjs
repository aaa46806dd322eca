// What the child writes, and how the gateway frames it: oversized lines,
// non-JSON noise, UTF-8 split across reads, out-of-order replies, stderr.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  callToolRaw, connectClient, fixtureCmd, killAll, ppidOf, startGateway,
  textOf, withTimeout,
} from './lib.mjs';

after(killAll);

describe('--max-frame-size 1M', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd(), '--max-frame-size', '1M']);
  });
  after(() => gw?.kill());

  test('a reply under the limit arrives whole', async () => {
    const { response } = await callToolRaw(gw.url, 'huge', { bytes: 500000 });
    const text = textOf(response);
    assert.equal(text.length, 500000);
    assert.ok(/^x+$/.test(text));
  });

  test('a reply over the limit → JSON-RPC error -32603, and the next call works', async () => {
    const { res, response } = await callToolRaw(gw.url, 'huge', { bytes: 2000000 },
                                                { timeoutMs: 15000 });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.ok(response, `a response for the call: ${res.text.slice(0, 300)}`);
    assert.equal(response.error?.code, -32603, JSON.stringify(response).slice(0, 300));
    const next = await callToolRaw(gw.url, 'echo', { text: 'after huge' }, { timeoutMs: 15000 });
    assert.equal(textOf(next.response), 'after huge');
  });
});

describe('stdout framing on the default gateway', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd()]);
  });
  after(() => gw?.kill());

  test('a 3 MB reply (under the default frame limit) arrives whole', async () => {
    const { response } = await callToolRaw(gw.url, 'huge', { bytes: 3000000 });
    assert.equal(textOf(response).length, 3000000);
  });

  test('non-JSON lines on stdout are skipped and logged escaped', async () => {
    const { response } = await callToolRaw(gw.url, 'noise');
    assert.equal(textOf(response), 'after noise');
    await gw.waitForLog(/not json/, 3000);
    await gw.waitForLog(/ctl/, 3000);
    const log = gw.log();
    assert.ok(!log.includes('\u0001'), 'no raw control byte in the log');
    assert.ok(!log.includes('\ufffd'), 'no raw invalid UTF-8 in the log');
    // The gateway keeps working.
    assert.equal(textOf((await callToolRaw(gw.url, 'echo', { text: 'ok' })).response), 'ok');
  });

  test('UTF-8 written one byte per write() arrives intact', async () => {
    const { response } = await callToolRaw(gw.url, 'utf8');
    assert.equal(textOf(response), 'héllo wörld 😀 中文');
    // Twice more: the split points differ from run to run.
    for (let i = 0; i < 2; i++) {
      assert.equal(textOf((await callToolRaw(gw.url, 'utf8')).response), 'héllo wörld 😀 中文');
    }
  });

  test('concurrent sleeps answer out of order, each to its own caller (SDK client)', async (t) => {
    const client = await connectClient(gw.url);
    t.after(() => client.close());
    const order = [];
    const call = (ms) => client.callTool({ name: 'sleep', arguments: { ms, text: `slept-${ms}` } })
      .then((r) => {
        order.push(ms);
        return r;
      });
    const [a, b, c] = await withTimeout(Promise.all([call(600), call(300), call(10)]), 10000,
                                        'three sleeps');
    assert.equal(a.content[0].text, 'slept-600');
    assert.equal(b.content[0].text, 'slept-300');
    assert.equal(c.content[0].text, 'slept-10');
    assert.deepEqual(order, [10, 300, 600], 'the child ran them concurrently');
  });

  test('concurrent sleeps over raw POSTs, each to its own caller', async () => {
    const rs = await Promise.all([500, 250, 5, 125].map((ms) =>
      callToolRaw(gw.url, 'sleep', { ms, text: `raw-${ms}` })));
    assert.deepEqual(rs.map((r) => textOf(r.response)), ['raw-500', 'raw-250', 'raw-5', 'raw-125']);
  });

  test('the child\'s stderr is in the gateway log with the child\'s pid', async () => {
    const marker = `stderr-marker-${process.pid}-${Date.now()}`;
    const { response } = await callToolRaw(gw.url, 'stderr', { text: marker });
    assert.equal(textOf(response), 'ok');
    await gw.waitForLog(new RegExp(marker), 3000);
    const line = gw.log().split('\n').find((l) => l.includes(marker));
    const nodePid = Number(textOf((await callToolRaw(gw.url, 'pid')).response));
    // The gateway's child is /bin/sh -c CMD; sh may have exec'd node or
    // may be its parent. Either pid names the child.
    const pids = [nodePid, ppidOf(nodePid)].filter((p) => p && p !== gw.pid);
    assert.ok(pids.some((p) => new RegExp(`\\b${p}\\b`).test(line)),
              `log line ${JSON.stringify(line)} names pid ${pids.join(' or ')}`);
  });
});
