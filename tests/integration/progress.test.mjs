// Progress notifications go to the stream of the request that owns the
// token, with the client's own token restored, even when two clients use
// the same token at the same time.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  connectClient, fixtureCmd, killAll, mcpHeaders, messagesOf, rawPost,
  startGateway, toolCall, withTimeout,
} from './lib.mjs';

after(killAll);

describe('progress', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd()]);
  });
  after(() => gw?.kill());

  test('two raw POSTs with the same progressToken "tok" each get only their own', async () => {
    const plan = [{ steps: 3, id: 'a' }, { steps: 5, id: 'b' }];
    const rs = await Promise.all(plan.map(({ steps, id }) => rawPost(gw.url,
      toolCall('progress', { steps, ms: 80 }, { id, meta: { progressToken: 'tok' } }),
      mcpHeaders())));
    rs.forEach((r, k) => {
      const { steps, id } = plan[k];
      assert.equal(r.status, 200, r.text);
      const msgs = messagesOf(r);
      const progress = msgs.filter((m) => m.method === 'notifications/progress');
      const last = msgs[msgs.length - 1];
      assert.equal(progress.length, steps, `stream ${id}: ${r.text}`);
      progress.forEach((m, i) => {
        assert.equal(m.params.progressToken, 'tok', `stream ${id}: token restored`);
        assert.equal(m.params.total, steps, `stream ${id}: only its own notifications`);
        assert.equal(m.params.progress, i + 1);
      });
      assert.equal(last.id, id, `stream ${id}: the response comes last`);
      assert.equal(last.result?.content?.[0]?.text, `done ${steps}`);
      assert.equal(msgs.length, steps + 1, `stream ${id}: nothing else on the stream`);
    });
  });

  test('a numeric progressToken is restored as a number', async () => {
    const r = await rawPost(gw.url,
      toolCall('progress', { steps: 2, ms: 10 }, { id: 'n', meta: { progressToken: 77 } }));
    const msgs = messagesOf(r);
    const progress = msgs.filter((m) => m.method === 'notifications/progress');
    assert.equal(progress.length, 2, r.text);
    for (const m of progress) assert.strictEqual(m.params.progressToken, 77);
    assert.match(r.text, /"progressToken"\s*:\s*77\s*[,}]/);
  });

  test('no progressToken → no progress notifications, just the result', async () => {
    const r = await rawPost(gw.url, toolCall('progress', { steps: 3, ms: 10 }, { id: 'none' }));
    const msgs = messagesOf(r);
    assert.deepEqual(msgs.map((m) => m.id), ['none'], r.text);
  });

  test('two SDK clients, same request id and token, each sees only its own progress', async (t) => {
    // Fresh clients number requests alike (initialize is 0, the first call
    // is 1), and the SDK uses the request id as the progress token, so both
    // calls carry progressToken 1.
    const [c1, c2] = await Promise.all([connectClient(gw.url), connectClient(gw.url)]);
    t.after(() => Promise.all([c1.close(), c2.close()]));
    const seen = [[], []];
    const call = (client, k, steps) => client.callTool(
      { name: 'progress', arguments: { steps, ms: 80 } },
      undefined,
      { onprogress: (p) => seen[k].push(p), timeout: 10000 });
    const [r1, r2] = await withTimeout(Promise.all([call(c1, 0, 3), call(c2, 1, 4)]), 15000,
                                       'two progress calls');
    assert.equal(r1.content[0].text, 'done 3');
    assert.equal(r2.content[0].text, 'done 4');
    assert.deepEqual(seen[0].map((p) => [p.progress, p.total]), [[1, 3], [2, 3], [3, 3]]);
    assert.deepEqual(seen[1].map((p) => [p.progress, p.total]), [[1, 4], [2, 4], [3, 4], [4, 4]]);
  });
});
