// The real SDK client, end to end, over @modelcontextprotocol/server-everything
// on stdio behind the gateway.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  connectClient, everythingCmd, killAll, startGateway, withTimeout,
} from './lib.mjs';

after(killAll);

describe('SDK client over server-everything', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', everythingCmd()], { timeoutMs: 20000 });
  });
  after(() => gw?.kill());

  test('connect, listTools, callTool echo', async (t) => {
    const client = await connectClient(gw.url);
    t.after(() => client.close());
    const info = client.getServerVersion();
    assert.ok(info?.name, 'serverInfo came through');
    const { tools } = await client.listTools();
    const names = tools.map((x) => x.name);
    assert.ok(names.includes('echo'), names.join(', '));
    assert.ok(names.includes('trigger-long-running-operation'), names.join(', '));
    const r = await client.callTool({ name: 'echo', arguments: { message: 'hi there' } });
    assert.equal(r.content[0].text, 'Echo: hi there');
  });

  test('trigger-long-running-operation reports progress', async (t) => {
    const client = await connectClient(gw.url);
    t.after(() => client.close());
    const progress = [];
    const r = await client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
      undefined,
      { onprogress: (p) => progress.push(p), timeout: 15000 });
    assert.match(r.content[0].text, /Long running operation completed/);
    assert.ok(progress.length >= 1, `progress notifications: ${progress.length}`);
    assert.equal(progress.length, 3, 'one per step');
    assert.deepEqual(progress.map((p) => p.progress), [1, 2, 3]);
  });

  test('20 clients × 10 concurrent echo calls, every result matches its call', async (t) => {
    const clients = await withTimeout(
      Promise.all(Array.from({ length: 20 }, (_, i) => connectClient(gw.url, { name: `c${i}` }))),
      20000, 'connecting 20 clients');
    t.after(() => Promise.all(clients.map((c) => c.close())));
    const calls = [];
    clients.forEach((c, i) => {
      for (let j = 0; j < 10; j++) {
        const message = `client ${i} call ${j} ${Math.random().toString(36).slice(2)}`;
        calls.push(c.callTool({ name: 'echo', arguments: { message } })
          .then((r) => ({ message, text: r.content[0].text })));
      }
    });
    const results = await withTimeout(Promise.all(calls), 20000, '200 echo calls');
    assert.equal(results.length, 200);
    for (const { message, text } of results) assert.equal(text, `Echo: ${message}`);
  });
});
