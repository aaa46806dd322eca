// The official SDK client (StreamableHTTPClientTransport) against shared
// children of @modelcontextprotocol/server-everything (no --stateful):
// its sampling and elicitation tools ask the client whose call is running
// and get that client's answer; with --pool 2 two clients sampling at once
// each answer only their own request; a client without a handler answers
// with an error, and its call ends instead of hanging.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { connectClient, everythingCmd, killAll, startGateway, waitFor, withTimeout, keepClients,
} from './lib.mjs';

const clients = keepClients;

after(killAll);

const startShared = (t, ...flags) =>
  startGateway(['--stdio', everythingCmd(), ...flags], { t, timeoutMs: 20000 });


const allText = (r) => (r.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
const tagOf = (what) => `${what}-${process.pid}-${Date.now().toString(36)}`;

/** A sampling handler that answers `sampled <tag>` and records what it saw. */
function sampler(client, tag) {
  const seen = [];
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    seen.push(req);
    return { model: 'stub', role: 'assistant', content: { type: 'text', text: `sampled ${tag}` }, stopReason: 'endTurn' };
  });
  return seen;
}

const sample = (client, prompt) => withTimeout(
  client.callTool({ name: 'trigger-sampling-request', arguments: { prompt, maxTokens: 10 } }, undefined, { timeout: 15000 }),
  20000, 'trigger-sampling-request');

test('shared child: the sampling and elicitation tools ask the calling client, and its answers come back', async (t) => {
  const connect = clients(t);
  const gw = await startShared(t);
  const client = await connect(gw.url, { capabilities: { sampling: {}, elicitation: {} } });
  const names = (await client.listTools()).tools.map((x) => x.name);
  assert.ok(names.includes('trigger-sampling-request'), `the gateway declared sampling: ${names.join(', ')}`);
  assert.ok(names.includes('trigger-elicitation-request'), `and elicitation: ${names.join(', ')}`);
  assert.ok(!names.includes('get-roots-list'), `but not roots: ${names.join(', ')}`);

  const tag = tagOf('sdk');
  const seen = sampler(client, tag);
  const r = await sample(client, `prompt ${tag}`);
  assert.equal(seen.length, 1, 'the handler was asked once');
  assert.match(JSON.stringify(seen[0].params.messages), new RegExp(`prompt ${tag}`));
  assert.ok(!r.isError, allText(r));
  assert.match(allText(r), new RegExp(`sampled ${tag}`), allText(r));

  const name = `Ada ${tag}`;
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name, check: true } }));
  const e = await withTimeout(client.callTool({ name: 'trigger-elicitation-request', arguments: {} }, undefined,
                                              { timeout: 15000 }), 20000, 'trigger-elicitation-request');
  assert.ok(!e.isError, allText(e));
  assert.ok(allText(e).includes(`Name: ${name}`), allText(e));
});

test('--pool 2: two clients sampling at once each get only their own request', async (t) => {
  const connect = clients(t);
  const gw = await startShared(t, '--pool', '2');
  await waitFor(() => (gw.log().match(/ready server=/g) ?? []).length === 2,
                { timeoutMs: 20000, what: 'both children ready' });
  const ab = await Promise.all(['A', 'B'].map(async (n) => {
    const client = await connect(gw.url, { capabilities: { sampling: {} } });
    const tag = tagOf(n);
    return { n, client, tag, seen: sampler(client, tag) };
  }));
  const results = await Promise.all(ab.map((c) => sample(c.client, `prompt ${c.tag}`)));
  ab.forEach((c, i) => {
    assert.equal(c.seen.length, 1, `${c.n}'s handler was asked once`);
    assert.match(JSON.stringify(c.seen[0].params.messages), new RegExp(`prompt ${c.tag}`), `${c.n} saw its own prompt`);
    assert.ok(!results[i].isError, allText(results[i]));
    assert.match(allText(results[i]), new RegExp(`sampled ${c.tag}`), `${c.n}'s result holds ${c.n}'s answer`);
  });
});

test('a client with no sampling handler answers with an error; its call ends with an error, no hang', async (t) => {
  const connect = clients(t);
  const gw = await startShared(t);
  const client = await connect(gw.url);
  const t0 = Date.now();
  let outcome;
  try {
    const r = await sample(client, 'nobody here samples');
    outcome = r.isError ? allText(r) : `unexpected success: ${allText(r)}`;
  } catch (e) {
    outcome = e.message;
  }
  assert.match(outcome, /Method not found|-32601/, outcome);
  assert.ok(Date.now() - t0 < 10000, `ended in ${Date.now() - t0} ms`);
});
