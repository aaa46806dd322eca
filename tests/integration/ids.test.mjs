// Request ids come back unchanged: the literal text of the id in the raw
// response body equals the literal text the client sent (no JSON.parse in
// between, so 9007199254740993 and escapes are checked byte for byte).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  assertJsonRpcError, fixtureCmd, killAll, messagesOf, parseSse, rawPost,
  startGateway,
} from './lib.mjs';

after(killAll);

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// The literal JSON text of the id of the response in an SSE or JSON body.
function idRe(literal) {
  return new RegExp(`"id"\\s*:\\s*${escapeRe(literal)}\\s*[,}]`);
}

function echoBody(idLiteral, text) {
  return `{"jsonrpc":"2.0","id":${idLiteral},"method":"tools/call",` +
         `"params":{"name":"echo","arguments":{"text":${JSON.stringify(text)}}}}`;
}

// Raw data lines of the response (for SSE) or the whole body (for JSON).
function payloads(r) {
  if ((r.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    return parseSse(r.text).filter((e) => e.data !== '').map((e) => e.data);
  }
  return [r.text];
}

describe('ids are returned unchanged', () => {
  let gw;
  before(async () => {
    gw = await startGateway(['--stdio', fixtureCmd()]);
  });
  after(() => gw?.kill());

  for (const [label, literal] of [
    ['plain string', '"abc"'],
    ['empty string', '""'],
    ['unicode string', '"héllo-😀-中文"'],
    ['escaped quote and backslash', '"a\\"b\\\\u00e9"'],
    ['\\u escape kept as written', '"caf\\u00e9"'],
    ['escaped slash and control escapes', '"x\\/y\\n\\t"'],
    ['a string that looks like a number', '"1"'],
    ['integer 0', '0'],
    ['integer 1', '1'],
    ['negative integer', '-7'],
    ['2^53 + 1', '9007199254740993'],
    ['a 20-digit integer', '12345678901234567890'],
  ]) {
    test(`${label}: ${literal}`, async () => {
      const text = `id-test ${label}`;
      const r = await rawPost(gw.url, echoBody(literal, text));
      assert.equal(r.status, 200, r.text);
      const [data] = payloads(r);
      assert.ok(data, r.text);
      assert.match(data, idRe(literal), `raw body ${JSON.stringify(data)}`);
      // And the result is the one for this call.
      assert.equal(JSON.parse(data).result?.content?.[0]?.text, text);
    });
  }

  test('float id 1.5: refused, or returned identical', async () => {
    const r = await rawPost(gw.url, echoBody('1.5', 'float'));
    if (r.status === 200) {
      const [data] = payloads(r);
      assert.match(data, idRe('1.5'), data);
    } else {
      assertJsonRpcError(r, 400, -32700, 'Parse error: Invalid JSON-RPC message');
    }
  });

  test('null id on a request → 400 -32700 Invalid JSON-RPC message', async () => {
    const r = await rawPost(gw.url, echoBody('null', 'null id'));
    assertJsonRpcError(r, 400, -32700, 'Parse error: Invalid JSON-RPC message');
  });

  test('the same id from concurrent callers is kept apart', async () => {
    const calls = [600, 300, 50].map((ms, i) => rawPost(gw.url,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"sleep",` +
      `"arguments":{"ms":${ms},"text":"caller-${i}"}}}`));
    const rs = await Promise.all(calls);
    rs.forEach((r, i) => {
      const [m] = messagesOf(r);
      assert.equal(m.id, 1);
      assert.equal(m.result?.content?.[0]?.text, `caller-${i}`, r.text);
    });
  });

  test('string and number ids that are equal as text are kept apart', async () => {
    const [a, b] = await Promise.all([
      rawPost(gw.url, `{"jsonrpc":"2.0","id":"5","method":"tools/call","params":` +
                      `{"name":"sleep","arguments":{"ms":200,"text":"string"}}}`),
      rawPost(gw.url, `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":` +
                      `{"name":"sleep","arguments":{"ms":100,"text":"number"}}}`),
    ]);
    assert.match(payloads(a)[0], idRe('"5"'));
    assert.equal(messagesOf(a)[0].result.content[0].text, 'string');
    assert.match(payloads(b)[0], idRe('5'));
    assert.equal(messagesOf(b)[0].result.content[0].text, 'number');
  });
});
