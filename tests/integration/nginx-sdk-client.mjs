// SPDX-License-Identifier: MIT
//
// The official SDK client as a process of its own, so that it can trust
// a test's self-signed certificate (NODE_EXTRA_CA_CERTS is read at start).
// Usage: node nginx-sdk-client.mjs URL [TOKEN]. Connects, lists tools,
// calls echo and progress, ends its session, and prints what it saw as
// one JSON line; exits 1 with the error on stderr if anything failed.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, token] = process.argv.slice(2);
const headers = token ? { authorization: `Bearer ${token}` } : {};
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
const client = new Client({ name: 'mcpgw-nginx-it', version: '1.0.0' }, { capabilities: {} });

try {
  await client.connect(transport);
  const sessionId = transport.sessionId;
  const tools = (await client.listTools()).tools.map((t) => t.name);
  const echo = (await client.callTool({ name: 'echo', arguments: { text: 'through nginx' } })).content[0].text;
  let progress = 0;
  const done = await client.callTool({ name: 'progress', arguments: { steps: 3, ms: 20 } }, undefined,
                                     { onprogress: () => (progress += 1) });
  await transport.terminateSession();
  await client.close();
  console.log(JSON.stringify({ sessionId, tools, echo, progress, done: done.content[0].text }));
} catch (e) {
  console.error(e?.stack ?? String(e));
  process.exit(1);
}
