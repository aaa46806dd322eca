// Hostile and broken input, one case at a time, each followed by a valid
// echo call on the same gateway: the gateway refuses what it must with the
// right status and JSON-RPC error, and keeps serving everyone else.
// Two gateways: one with the default limits (4M body, --max-json-depth 64,
// --max-header-size 16K; --sse-keepalive 200ms), one with --max-body-size
// 64K for the 413 cases.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';

import {
  assertJsonRpcError, callToolRaw, connectRaw, fixtureCmd, getStatus, header,
  httpRequest, killAll, mcpHeaders, parseSse, rawHttp, rawPost, rawPostText,
  rpc, sleep, startGateway, textOf, toolCall, waitFor, withTimeout,
} from './lib.mjs';

after(killAll);

const tag = `${process.pid}-${Date.now()}`;
const PARSE_JSON = 'Parse error: Invalid JSON';
const PARSE_RPC = 'Parse error: Invalid JSON-RPC message';
// What a crashing C program leaves on stderr (an access line saying a
// request was "aborted" by its client is fine).
const CRASH_RE = /Assertion .* failed|Segmentation fault|core dumped|double free|stack smashing|SIGSEGV|SIGABRT/i;

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// An echo request whose arguments carry `deep`: k nested arrays. The
// envelope is 3 containers deep (message, params, arguments), so the whole
// document is 3 + k deep.
function deepEcho(totalDepth, text) {
  const k = totalDepth - 3;
  return `{"jsonrpc":"2.0","id":"deep-${totalDepth}","method":"tools/call",` +
    `"params":{"name":"echo","arguments":{"text":${JSON.stringify(text)},` +
    `"deep":${'['.repeat(k)}${']'.repeat(k)}}}}`;
}

function echoWithId(idLiteral, text) {
  return `{"jsonrpc":"2.0","id":${idLiteral},"method":"tools/call",` +
    `"params":{"name":"echo","arguments":{"text":${JSON.stringify(text)}}}}`;
}

// The raw data lines (SSE) or the whole body (JSON) of a response.
function payloads(r) {
  if ((header(r, 'content-type') ?? '').startsWith('text/event-stream')) {
    return parseSse(r.text).filter((e) => e.data !== '').map((e) => e.data);
  }
  return [r.text];
}

const gws = {};
let n = 0;

// The valid call that follows every case.
async function assertStillServes(gw, label) {
  assert.equal(gw.exitInfo(), null, `the gateway is still running after ${label}`);
  const text = `after ${label} ${tag} ${n++}`;
  const { res, response } = await callToolRaw(gw.url, 'echo', { text }, { timeoutMs: 10000 });
  assert.equal(res.status, 200, `echo after ${label}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(textOf(response), text, `echo after ${label}`);
}

// Writes one header byte every everyMs until stopped; resolves 'closed'
// with the time when the server closes the connection.
function slowloris(port, everyMs = 200) {
  const s = net.connect({ port, host: '127.0.0.1' });
  let timer = null;
  let i = 0;
  const started = Date.now();
  const closed = new Promise((resolve) => s.once('close', () => {
    clearInterval(timer);
    resolve(Date.now() - started);
  }));
  s.on('error', () => {});
  s.once('connect', () => {
    s.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    timer = setInterval(() => {
      if (!s.destroyed) s.write('X-Slow: '[i] ?? 'a');
      i += 1;
    }, everyMs);
  });
  return { socket: s, closed, stop: () => { clearInterval(timer); s.destroy(); } };
}

const cases = [
  // ------------------------------------------------------ headers
  ['wrong Accept → 406', 'main', async (gw) => {
    const r = await httpRequest(gw.url, {
      method: 'POST',
      headers: { accept: 'text/html', 'content-type': 'application/json' },
      body: JSON.stringify(rpc('ping')),
    });
    assertJsonRpcError(r, 406, -32000, /^Not Acceptable/);
  }],
  ['wrong Content-Type → 415', 'main', async (gw) => {
    const r = await httpRequest(gw.url, {
      method: 'POST',
      headers: mcpHeaders({ 'content-type': 'text/plain' }),
      body: JSON.stringify(rpc('ping')),
    });
    assertJsonRpcError(r, 415, -32000, /^Unsupported Media Type/);
  }],

  // --------------------------------------------------------- bodies
  ['broken JSON → 400 -32700', 'main', async (gw) => {
    const r = await rawPost(gw.url, '{"jsonrpc":"2.0","id":1,"method":"ping",');
    assertJsonRpcError(r, 400, -32700, PARSE_JSON);
  }],
  ['valid JSON that is not JSON-RPC → 400 -32700', 'main', async (gw) => {
    const r = await rawPost(gw.url, '{"hello":"world","list":[1,2,3]}');
    assertJsonRpcError(r, 400, -32700, PARSE_RPC);
  }],
  ['body over --max-body-size 64K with Content-Length → 413', 'small', async (gw) => {
    const body = Buffer.alloc(64 * 1024 + 1, 0x20);
    const r = await httpRequest(gw.url, {
      method: 'POST',
      headers: mcpHeaders({ 'content-length': String(body.length) }),
      body,
    });
    assertJsonRpcError(r, 413, -32000, /^Payload Too Large/);
  }],
  ['chunked body over --max-body-size 64K → 413', 'small', async (gw) => {
    const chunk = Buffer.alloc(8192, 0x20);
    const r = await httpRequest(gw.url, {
      method: 'POST',
      headers: mcpHeaders({ 'transfer-encoding': 'chunked' }),
      chunks: Array.from({ length: 10 }, () => chunk),
    });
    assertJsonRpcError(r, 413, -32000, /^Payload Too Large/);
  }],
  ['a document nested 100000 deep → 400 -32700', 'main', async (gw) => {
    const t0 = Date.now();
    const r = await rawPost(gw.url, deepEcho(100000, 'too deep'), undefined, { timeoutMs: 10000 });
    assertJsonRpcError(r, 400, -32700, /^Parse error/);
    assert.ok(Date.now() - t0 < 5000, `refused in ${Date.now() - t0} ms`);
  }],
  ['a document 64 deep (the default --max-json-depth) is accepted', 'main', async (gw) => {
    const text = `deep64-${tag}`;
    const r = await rawPost(gw.url, deepEcho(64, text));
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.match(r.text, new RegExp(escapeRe(text)));
  }],
  ['a document 65 deep → 400 -32700', 'main', async (gw) => {
    const r = await rawPost(gw.url, deepEcho(65, 'one too deep'));
    assertJsonRpcError(r, 400, -32700, /^Parse error/);
  }],
  ...[
    ['0xff 0xfe', [0xff, 0xfe]],
    ['an overlong "/" (0xc0 0xaf)', [0xc0, 0xaf]],
    ['a UTF-16 surrogate (0xed 0xa0 0x80)', [0xed, 0xa0, 0x80]],
    ['a truncated sequence (0xe2 0x82)', [0xe2, 0x82]],
  ].map(([label, bytes]) => [`invalid UTF-8 in a string (${label}) → 400 -32700`, 'main', async (gw) => {
    const body = Buffer.concat([
      Buffer.from('{"jsonrpc":"2.0","id":"u8","method":"tools/call","params":{"name":"echo",' +
                  '"arguments":{"text":"a'),
      Buffer.from(bytes),
      Buffer.from('b"}}}'),
    ]);
    const r = await rawPost(gw.url, body);
    assertJsonRpcError(r, 400, -32700, /^Parse error/);
  }]),
  ['~100 KB of request headers → 431', 'main', async (gw) => {
    const pad = Object.fromEntries(Array.from({ length: 100 }, (_, i) =>
      [`x-pad-${String(i).padStart(3, '0')}`, 'a'.repeat(1000)]));
    const r = await rawHttp(gw.port, rawPostText(gw.port, '/mcp', JSON.stringify(rpc('ping')), pad),
                            { timeoutMs: 5000 });
    assert.equal(r.status, 431, `status (got ${r.status}: ${r.raw.slice(0, 200)})`);
  }],
  ['unknown path → 404 with a JSON body', 'main', async (gw) => {
    const r = await httpRequest(`${gw.base}/definitely/not/here`, {
      method: 'POST', headers: mcpHeaders(), body: JSON.stringify(rpc('ping')),
    });
    assert.equal(r.status, 404, r.text);
    assert.match(header(r, 'content-type') ?? '', /^application\/json/);
    const body = JSON.parse(r.text);
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(typeof body.error?.code, 'number');
    assert.equal(typeof body.error?.message, 'string');
  }],
  ...['PUT', 'PATCH', 'OPTIONS'].map((method) => [`${method} /mcp without --cors → 405, Allow lists POST`, 'main',
    async (gw) => {
      const r = await httpRequest(gw.url, {
        method,
        headers: method === 'OPTIONS'
          ? { origin: `http://127.0.0.1:${gw.port}`, 'access-control-request-method': 'POST' }
          : mcpHeaders(),
        body: method === 'OPTIONS' ? undefined : JSON.stringify(rpc('ping')),
      });
      assert.equal(r.status, 405, `${method}: ${r.status} ${r.text}`);
      assert.match(header(r, 'allow') ?? '', /\bPOST\b/, `Allow: ${header(r, 'allow')}`);
    }]),

  // ------------------------------------------------------------- ids
  ...[
    ['a string', '"id-\\u00e9-x"'],
    ['an int', '4242'],
    ['a float', '1.5'],
    ['a negative int', '-17'],
    ['0', '0'],
  ].map(([label, lit]) => [`id ${label} (${lit}) is accepted and echoed byte for byte`, 'main', async (gw) => {
    const text = `id ${label} ${tag}`;
    const r = await rawPost(gw.url, echoWithId(lit, text));
    assert.equal(r.status, 200, r.text);
    const data = payloads(r);
    const re = new RegExp(`"id"\\s*:\\s*${escapeRe(lit)}\\s*[,}]`);
    assert.ok(data.some((d) => re.test(d) && d.includes(text)),
              `a response with "id":${lit} and the text in ${JSON.stringify(data)}`);
  }]),
  ...[
    ['true', 'true'],
    ['false', 'false'],
    ['an object', '{"a":1}'],
    ['an array', '[1]'],
    ['null', 'null'],
  ].map(([label, lit]) => [`id ${label} → 400 -32700`, 'main', async (gw) => {
    const r = await rawPost(gw.url, echoWithId(lit, 'bad id'));
    assertJsonRpcError(r, 400, -32700, PARSE_RPC);
  }]),
  ['a JSON-RPC response to a request never sent → 202', 'main', async (gw) => {
    const r = await rawPost(gw.url, '{"jsonrpc":"2.0","id":77,"result":{}}');
    assert.equal(r.status, 202, r.text);
  }],

  // ----------------------------------------------------- connections
  ['500 TCP connections opened and dropped at once', 'main', async (gw) => {
    const results = await Promise.all(Array.from({ length: 500 }, () => new Promise((resolve) => {
      const s = net.connect({ port: gw.port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve('ok');
      });
      s.once('error', (e) => resolve(e.code ?? 'error'));
    })));
    assert.ok(results.filter((x) => x === 'ok').length >= 450,
              `most of the 500 connections connected: ${JSON.stringify(results.filter((x) => x !== 'ok').slice(0, 5))}`);
    await waitFor(async () => (await getStatus(`${gw.base}/healthz`)) === 200,
                  { timeoutMs: 5000, what: '/healthz 200 after the connection storm' });
  }],
  ['a slowloris client does not hold up other clients', 'main', async (gw) => {
    const slow = slowloris(gw.port, 200);
    try {
      await sleep(300);
      for (let i = 0; i < 8; i++) {
        const t0 = Date.now();
        const text = `beside slowloris ${i} ${tag}`;
        const { response } = await callToolRaw(gw.url, 'echo', { text }, { timeoutMs: 5000 });
        assert.equal(textOf(response), text);
        assert.ok(Date.now() - t0 < 500, `echo ${i} took ${Date.now() - t0} ms beside the slowloris`);
        await sleep(100);
      }
    } finally {
      slow.stop();
    }
  }],
  ['a client that disconnects mid-request (10 of 1000 body bytes)', 'main', async (gw) => {
    const s = await connectRaw(gw.port);
    s.on('error', () => {});
    s.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\n` +
            `Accept: application/json, text/event-stream\r\nContent-Type: application/json\r\n` +
            'Content-Length: 1000\r\n\r\n{"jsonrpc"');
    await sleep(100);
    s.destroy();
    await sleep(50);
  }],
  ['a client that disconnects mid-stream (a sleep call, after its headers)', 'main', async (gw) => {
    const text = `mid-sleep-${tag}`;
    const msg = toolCall('sleep', { ms: 3000, text }, { id: `mid-sleep-${tag}` });
    await withTimeout(new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: gw.port, path: '/mcp', method: 'POST', agent: false,
        headers: mcpHeaders(),
      }, (res) => {
        // The headers are here (the first keep-alive comment sent them):
        // hang up in the middle of the stream.
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /^text\/event-stream/);
        req.destroy();
        resolve();
      });
      req.on('error', () => {});
      req.end(JSON.stringify(msg));
      setTimeout(() => reject(new Error('no stream headers within 2.5 s')), 2500).unref();
    }), 3000, 'the mid-stream hang-up');
    await gw.waitForLog(new RegExp(`fixture: sleep .*text=${escapeRe(text)}`), 3000);
  }],
  ['a client that disconnects mid-stream (between progress notifications)', 'main', async (gw) => {
    const msg = toolCall('progress', { steps: 30, ms: 100 }, { id: `mid-${tag}`, meta: { progressToken: `pt-${tag}` } });
    await withTimeout(new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: gw.port, path: '/mcp', method: 'POST', agent: false,
        headers: mcpHeaders(),
      }, (res) => {
        // The stream's headers are here: hang up in the middle of it.
        assert.equal(res.statusCode, 200);
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      req.on('close', resolve);
      req.end(JSON.stringify(msg));
      setTimeout(() => reject(new Error('no stream data within 5 s')), 5000).unref();
    }), 6000, 'the mid-stream hang-up');
    await gw.waitForLog(new RegExp(`progress id=.* token=`), 3000);
  }],
];

describe('bad input, each case followed by a valid call', () => {
  before(async () => {
    // --sse-keepalive 200ms: a slow call's stream starts (headers and a
    // comment) before its result, for the mid-stream hang-up.
    gws.main = await startGateway(['--stdio', fixtureCmd(), '--sse-keepalive', '200ms']);
    gws.small = await startGateway(['--stdio', fixtureCmd(), '--max-body-size', '64K']);
  });
  after(async () => {
    for (const [name, gw] of Object.entries(gws)) {
      const log = gw.log();
      const info = await gw.stop('SIGTERM', 15000);
      assert.deepEqual(info, { code: 0, signal: null }, `${name} gateway: clean exit`);
      assert.doesNotMatch(log, CRASH_RE, `${name} gateway log shows no crash`);
    }
  });

  for (const [name, which, run] of cases) {
    test(name, async () => {
      const gw = gws[which];
      await run(gw);
      await assertStillServes(gw, name);
    });
  }
});
