// What the gateway writes on stderr: JSON lines with --log-format json,
// one access line per request (a refusal is logged there and nowhere
// else), silence at --logLevel none, and the lib.mjs guard that fails a
// test whose gateway reported a sanitizer error.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  callToolRaw, fixtureCmd, httpRequest, killAll, mcpHeaders, rawPost,
  sanitizerReport, startGateway, textOf, toolCall,
} from './lib.mjs';

after(killAll);

// A few requests of each kind: a call, a notification, a GET, a refused Host.
async function someTraffic(gw) {
  const e = await callToolRaw(gw.url, 'echo', { text: 'logged' });
  assert.equal(textOf(e.response), 'logged');
  const s = await callToolRaw(gw.url, 'stderr', { text: 'child says "hi" \\ there' });
  assert.equal(textOf(s.response), 'ok');
  const n = await rawPost(gw.url, { jsonrpc: '2.0', method: 'notifications/initialized' });
  assert.equal(n.status, 202, n.text);
  const h = await fetch(`${gw.base}/healthz`);
  await h.arrayBuffer();
  assert.equal(h.status, 200);
  const bad = await httpRequest(gw.url, {
    method: 'POST',
    headers: { ...mcpHeaders(), host: 'evil.example.com' },
    body: JSON.stringify(toolCall('echo', { text: 'x' })),
  });
  assert.equal(bad.status, 403, bad.text);
}

const lines = (log) => log.split('\n').filter((l, i, a) => !(l === '' && i === a.length - 1));

// An access line: peer "METHOD path" status bytes=N ms=F ...
const ACCESS = /"(GET|POST|DELETE|PUT|OPTIONS|HEAD) [^"]*" \d{3} bytes=\d+ ms=\d/;

test('--log-format json: every stderr line is a JSON object with ts, level, sys, msg', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--log-format', 'json'], { t });
  await someTraffic(gw);
  await gw.waitForLog(/Invalid Host header/, 3000);
  assert.deepEqual(await gw.stop(), { code: 0, signal: null });

  const all = lines(gw.log());
  assert.ok(all.length >= 3, `some lines were written:\n${gw.log()}`);
  const objs = all.map((l, i) => {
    let o;
    assert.doesNotThrow(() => {
      o = JSON.parse(l);
    }, `line ${i + 1} is JSON: ${JSON.stringify(l)}`);
    assert.ok(o && typeof o === 'object' && !Array.isArray(o), `line ${i + 1} is an object: ${l}`);
    for (const k of ['ts', 'level', 'sys', 'msg']) {
      assert.equal(typeof o[k], 'string', `line ${i + 1} has a string ${k}: ${l}`);
    }
    assert.match(o.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, `line ${i + 1} ts: ${l}`);
    assert.match(o.level, /^(debug|info|warn|error)$/, `line ${i + 1} level: ${l}`);
    return o;
  });
  const posts = objs.filter((o) => o.sys === 'http' && /"POST \/mcp" 200 /.test(o.msg));
  assert.ok(posts.length >= 1, `an access line for a POST:\n${gw.log()}`);
  const refused = objs.filter((o) => o.sys === 'http' && o.msg.includes('evil.example.com'));
  assert.equal(refused.length, 1, `one line for the refused Host:\n${gw.log()}`);
  assert.match(refused[0].msg, / 403 /);
  // The child's stderr line, quotes and backslash included, is still valid
  // JSON; the gateway escapes them first (\x22, \x5c), as in text lines.
  assert.ok(objs.some((o) => o.sys === 'child' &&
                             o.msg.includes('child says \\x22hi\\x22 \\x5c there')),
            `the child's stderr line:\n${gw.log()}`);
});

test('a refused Host is logged once: its access line, with status 403 and the reason', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const r = await httpRequest(gw.url, {
    method: 'POST',
    headers: { ...mcpHeaders(), host: 'evil.example.com' },
    body: JSON.stringify(toolCall('echo', { text: 'x' })),
  });
  assert.equal(r.status, 403, r.text);
  await gw.waitForLog(/evil\.example\.com/, 3000);
  // Something after the refusal, so a late second line would be seen.
  const e = await callToolRaw(gw.url, 'echo', { text: 'after' });
  assert.equal(textOf(e.response), 'after');
  await gw.waitForLog(/"POST \/mcp" 200 /, 3000);
  await gw.stop();

  const hits = lines(gw.log()).filter((l) => l.includes('evil.example.com'));
  assert.equal(hits.length, 1, `exactly one line mentions the Host:\n${gw.log()}`);
  const [line] = hits;
  assert.match(line, ACCESS, `it is the access line: ${line}`);
  assert.match(line, /"POST \/mcp" 403 /, line);
  assert.ok(line.includes(' error="Invalid Host header: evil.example.com"'), line);
});

test('the reason in an access line is escaped: a quote becomes \\x22', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const r = await httpRequest(gw.url, {
    method: 'POST',
    headers: { ...mcpHeaders(), host: 'evil"quote.example.com' },
    body: JSON.stringify(toolCall('echo', { text: 'x' })),
  });
  assert.equal(r.status, 403, r.text);
  await gw.waitForLog(/quote\.example\.com/, 3000);
  await gw.stop();
  const hits = lines(gw.log()).filter((l) => l.includes('quote.example.com'));
  assert.equal(hits.length, 1, `exactly one line mentions the Host:\n${gw.log()}`);
  assert.ok(hits[0].includes(' error="Invalid Host header: evil\\x22quote.example.com"'), hits[0]);
});

test('--logLevel none: a run with requests writes nothing to stderr', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--logLevel', 'none'], { t });
  await someTraffic(gw);
  // And a call that fails in the child.
  const u = await callToolRaw(gw.url, 'no_such_tool', {});
  assert.equal(u.response?.error?.code, -32602, u.res.text);
  assert.deepEqual(await gw.stop(), { code: 0, signal: null });
  assert.equal(gw.log(), '', 'nothing on stderr');
});

// ------------------------------------------------------ sanitizer guard

test('sanitizerReport finds ASan, LSan and UBSan reports, from their line on', () => {
  assert.equal(sanitizerReport(''), null);
  assert.equal(sanitizerReport('2025-01-01T00:00:00.000Z info http: all fine\n'), null);
  const asan = 'ok line\n==123==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\n#0 foo\n';
  assert.equal(sanitizerReport(asan), asan.slice('ok line\n'.length));
  assert.match(sanitizerReport('x\n==9==ERROR: LeakSanitizer: detected memory leaks\n'),
               /^==9==ERROR: LeakSanitizer/);
  assert.match(sanitizerReport('src/http.c:12:3: runtime error: signed integer overflow\n'),
               /^src\/http\.c:12:3: runtime error:/);
  const long = `==1==ERROR: AddressSanitizer: x\n${'y'.repeat(10000)}`;
  assert.ok(sanitizerReport(long).length < 5000, 'the excerpt is bounded');
});

test('stop() rejects with the excerpt when the gateway logged a sanitizer report', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  // The gateway logs its child's stderr: a stand-in for a real report.
  const fake = 'fake.c:1:1: runtime error: stand-in for a UBSan report';
  const s = await callToolRaw(gw.url, 'stderr', { text: fake });
  assert.equal(textOf(s.response), 'ok');
  await gw.waitForLog(/runtime error: stand-in/, 3000);
  await assert.rejects(gw.stop(), (e) => {
    assert.match(e.message, /sanitizer/i);
    assert.ok(e.message.includes(fake), e.message);
    return true;
  });
  assert.ok(gw.exitInfo(), 'the gateway was still stopped');
  // Reported once: the cleanup in t.after does not fail a second time.
  await gw.kill();
});

test('a gateway that exited with a sanitizer report fails stop() and kill()', async () => {
  for (const how of ['stop', 'kill']) {
    const gw = await startGateway(['--stdio', fixtureCmd()]);
    const s = await callToolRaw(gw.url, 'stderr', { text: '==1==ERROR: AddressSanitizer: stand-in' });
    assert.equal(textOf(s.response), 'ok');
    await gw.waitForLog(/AddressSanitizer: stand-in/, 3000);
    gw.proc.kill('SIGTERM');
    await gw.exited;
    await assert.rejects(gw[how](), /AddressSanitizer: stand-in/, how);
  }
});
