// An SSE client that stops reading: its stream is cut at --max-sse-buffer,
// while the child and the other clients carry on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { callToolOnce, fixtureCmd, startGateway } from './lib.mjs';

test('a client that does not read its stream is cut; others carry on', { timeout: 60000 }, async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--max-sse-buffer', '64K',
                                 '--sse-keepalive', '0'], { t });
  const pid = (await callToolOnce(gw.url, 'pid')).response.result.content[0].text;

  // A 2025-03-26 batch of twenty 1 MB replies on one stream, to a socket
  // that is never read: the kernel's buffers fill, then the gateway's.
  const batch = Array.from({ length: 20 }, (_, i) => ({
    jsonrpc: '2.0', id: i + 1, method: 'tools/call',
    params: { name: 'huge', arguments: { bytes: 1 << 20 } },
  }));
  const body = JSON.stringify(batch);
  const sock = net.connect(gw.port, '127.0.0.1');
  sock.on('error', () => {});
  await new Promise((r) => sock.once('connect', r));
  sock.pause();
  sock.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\n` +
             'Content-Type: application/json\r\n' +
             'Accept: application/json, text/event-stream\r\n' +
             'MCP-Protocol-Version: 2025-03-26\r\n' +
             `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  t.after(() => sock.destroy());

  await gw.waitForLog(/is not reading its stream: cut after \d+ unsent bytes/, 30000);
  await gw.waitForLog(/"POST \/mcp" 200 .*rpc=batch aborted/, 10000);

  // The same child, still answering others.
  const echo = await callToolOnce(gw.url, 'echo', { text: 'still here' });
  assert.equal(echo.response.result.content[0].text, 'still here');
  const again = (await callToolOnce(gw.url, 'pid')).response.result.content[0].text;
  assert.equal(again, pid, 'the child was not restarted');
});
