// The official SDK client (StreamableHTTPClientTransport) against
// --stateful in front of @modelcontextprotocol/server-everything: a
// session and a server-everything of its own per client, sampling and
// elicitation requests from the server answered by the client's
// handlers, terminateSession(), and many sessions at once.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import {
  connectClient, everythingCmd, isAlive, killAll, nodeDescendantPids, nodeDescendants, rawPost,
  rpc, sessionHeaders, startGateway, waitFor, withTimeout,
  keepClients,
} from './lib.mjs';

const clients = keepClients;

after(killAll);

const SESSION_ID = /^[\x21-\x7e]{32,}$/;

const startStateful = (t) => startGateway(['--stateful', '--stdio', everythingCmd()], { t, timeoutMs: 20000 });

const waitChildren = (gw, n, timeoutMs = 10000) => waitFor(() => nodeDescendants(gw.pid) === n, {
  timeoutMs, intervalMs: 50, what: `${n} node processes below the gateway (${nodeDescendants(gw.pid)} when the wait began)`,
});


const allText = (r) => (r.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');

test('SDK client: connect, a session id, a server-everything of its own, listTools, callTool echo', async (t) => {
  const connect = clients(t);
  const gw = await startStateful(t);
  const base = nodeDescendants(gw.pid);
  const client = await connect(gw.url);
  const sid = client.transport.sessionId;
  assert.match(String(sid), SESSION_ID, `the transport's session id ${JSON.stringify(sid)}`);
  assert.ok(client.getServerVersion()?.name, 'serverInfo came through');
  await waitChildren(gw, base + 1);

  const { tools } = await client.listTools();
  const names = tools.map((x) => x.name);
  assert.ok(names.includes('echo'), names.join(', '));
  const r = await client.callTool({ name: 'echo', arguments: { message: 'hi session' } });
  assert.equal(r.content[0].text, 'Echo: hi session');
});

test('SDK client: the sampling trigger tool; the client\'s CreateMessage handler answers, the result comes back', async (t) => {
  const connect = clients(t);
  const gw = await startStateful(t);
  const client = await connect(gw.url, { capabilities: { sampling: {} } });
  const tag = `stub-${process.pid}-${Date.now().toString(36)}`;
  const seen = [];
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    seen.push(req);
    return {
      model: 'stub-model',
      role: 'assistant',
      content: { type: 'text', text: `sampled ${tag}` },
      stopReason: 'endTurn',
    };
  });
  const { tools } = await client.listTools();
  const names = tools.map((x) => x.name);
  const sampling = names.includes('trigger-sampling-request')
    ? 'trigger-sampling-request'
    : names.find((n) => n.includes('sampling') && !n.includes('async'));
  assert.ok(sampling, `a sampling trigger tool in: ${names.join(', ')}`);

  const r = await withTimeout(client.callTool({ name: sampling, arguments: { prompt: `prompt ${tag}`, maxTokens: 10 } },
                                              undefined, { timeout: 15000 }), 20000, sampling);
  assert.equal(seen.length, 1, 'the handler was asked once');
  assert.match(JSON.stringify(seen[0].params.messages), new RegExp(`prompt ${tag}`), 'the server\'s prompt reached the handler');
  assert.ok(!r.isError, `not an error: ${allText(r)}`);
  assert.match(allText(r), new RegExp(`sampled ${tag}`), `the result holds the handler's answer: ${allText(r)}`);
});

test('SDK client: the elicitation trigger tool; the client\'s Elicit handler answers, the result comes back', async (t) => {
  const connect = clients(t);
  const gw = await startStateful(t);
  const client = await connect(gw.url, { capabilities: { elicitation: {} } });
  const { tools } = await client.listTools();
  const names = tools.map((x) => x.name);
  const elicit = names.includes('trigger-elicitation-request')
    ? 'trigger-elicitation-request'
    : names.find((n) => n.includes('elicitation') && !n.includes('async') && !n.includes('url'));
  if (!elicit) {
    t.skip(`server-everything has no elicitation trigger tool: ${names.join(', ')}`);
    return;
  }
  const name = `Ada ${process.pid}-${Date.now().toString(36)}`;
  const seen = [];
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    seen.push(req);
    return { action: 'accept', content: { name, check: true } };
  });
  const r = await withTimeout(client.callTool({ name: elicit, arguments: {} }, undefined, { timeout: 15000 }),
                              20000, elicit);
  assert.equal(seen.length, 1, 'the handler was asked once');
  assert.ok(seen[0].params?.requestedSchema || seen[0].params?.message, JSON.stringify(seen[0]));
  assert.ok(!r.isError, `not an error: ${allText(r)}`);
  assert.ok(allText(r).includes(`Name: ${name}`), `the result holds the handler's answer: ${allText(r)}`);
});

test('SDK client: terminateSession() ends the session and its child; a new client works', async (t) => {
  const connect = clients(t);
  const gw = await startStateful(t);
  const base = nodeDescendants(gw.pid);
  const before = new Set(nodeDescendantPids(gw.pid));
  const client = await connect(gw.url);
  await waitChildren(gw, base + 1);
  const mine = nodeDescendantPids(gw.pid).filter((p) => !before.has(p));
  assert.equal(mine.length, 1, `one new child: ${mine}`);
  const sid = client.transport.sessionId;
  const r = await client.callTool({ name: 'echo', arguments: { message: 'before' } });
  assert.equal(r.content[0].text, 'Echo: before');

  await withTimeout(client.transport.terminateSession(), 5000, 'terminateSession()');
  assert.equal(client.transport.sessionId, undefined, 'the transport forgot its session');
  await waitFor(() => !isAlive(mine[0]), { timeoutMs: 8000, what: `the session's child ${mine[0]} to exit` });
  await waitChildren(gw, base);
  const old = await rawPost(gw.url, rpc('tools/list'), sessionHeaders(sid));
  assert.equal(old.status, 404, `the ended session's id: HTTP ${old.status} ${old.text}`);

  const fresh = await connect(gw.url);
  assert.notEqual(fresh.transport.sessionId, sid, 'a new session');
  const r2 = await fresh.callTool({ name: 'echo', arguments: { message: 'after' } });
  assert.equal(r2.content[0].text, 'Echo: after');
});

test('SDK clients: 10 at once, a session each, 5 echo calls each; every result is its own; none left after', async (t) => {
  const connect = clients(t);
  const gw = await startStateful(t);
  const base = nodeDescendants(gw.pid);
  const cs = await withTimeout(Promise.all(Array.from({ length: 10 }, (_, i) => connect(gw.url, { name: `c${i}` }))),
                               30000, 'connecting 10 clients');
  const sids = cs.map((c) => c.transport.sessionId);
  for (const sid of sids) assert.match(String(sid), SESSION_ID);
  assert.equal(new Set(sids).size, 10, 'ten different session ids');
  await waitChildren(gw, base + 10, 15000);

  const calls = [];
  cs.forEach((c, i) => {
    for (let j = 0; j < 5; j++) {
      const message = `client ${i} call ${j} ${Math.random().toString(36).slice(2)}`;
      calls.push(c.callTool({ name: 'echo', arguments: { message } })
        .then((r) => ({ message, text: r.content[0].text })));
    }
  });
  const results = await withTimeout(Promise.all(calls), 20000, '50 echo calls');
  assert.equal(results.length, 50);
  for (const { message, text } of results) assert.equal(text, `Echo: ${message}`);

  await withTimeout(Promise.all(cs.map((c) => c.transport.terminateSession())), 10000, 'ten terminateSession()');
  await waitChildren(gw, base, 15000);
});
