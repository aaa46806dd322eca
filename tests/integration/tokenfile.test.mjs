// --auth-token-file: one token a line (comments and blank lines skipped,
// surrounding blanks trimmed), added to --auth-token; read again on SIGHUP
// (rotation without dropping calls in flight; an unreadable file keeps the
// tokens in force and logs an error); a missing file at start is exit 2;
// no token text ever in the log, even at debug level.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  callToolRaw, fixtureCmd, freePort, killAll, mcpHeaders, rawPost,
  runGateway, startGateway, textOf, toolCall, waitFor,
} from './lib.mjs';

after(killAll);

const rnd = () => crypto.randomBytes(6).toString('hex');
const tok = { A: `tokA-${rnd()}`, B: `tokB-${rnd()}`, C: `tokC-${rnd()}`, X: `tokX-${rnd()}` };
const COMMENT = `# comment ${rnd()}`;
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-tokfile-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const status = async (gw, token) => {
  const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const r = await rawPost(gw.url, toolCall('echo', { text: 'tok' }), mcpHeaders(headers));
  return r.status;
};

function assertNoTokenInLog(gw) {
  const log = gw.log();
  for (const [name, t] of Object.entries(tok)) {
    assert.ok(!log.includes(t), `token ${name} appears in the log`);
    assert.ok(!log.includes(t.slice(5)), `the secret part of token ${name} appears in the log`);
  }
}

describe('--auth-token-file F --auth-token X --logLevel debug', () => {
  const file = path.join(dir, 'tokens');
  let gw;
  before(async () => {
    fs.writeFileSync(file, `${COMMENT}\n\n  ${tok.A}  \n${tok.B}\n`);
    gw = await startGateway(['--stdio', fixtureCmd(), '--auth-token-file', file,
                             '--auth-token', tok.X, '--logLevel', 'debug']);
  });
  after(async () => {
    assert.deepEqual(await gw.stop(), { code: 0, signal: null });
    assertNoTokenInLog(gw);
  });

  test('the tokens of the file are accepted, trimmed', async () => {
    assert.equal(await status(gw, tok.A), 200, 'tokA (written with blanks around it)');
    assert.equal(await status(gw, tok.B), 200, 'tokB');
  });

  test('tokens from the file add to --auth-token', async () => {
    assert.equal(await status(gw, tok.X), 200, '--auth-token X');
  });

  test('a comment line, a blank line and no token are not tokens', async () => {
    assert.equal(await status(gw, COMMENT), 401, 'the comment line');
    assert.equal(await status(gw, COMMENT.slice(2)), 401, 'the comment without "# "');
    assert.equal(await status(gw, `${tok.A} ${tok.B}`), 401, 'two tokens on one line are not one');
    assert.equal(await status(gw, undefined), 401, 'no Authorization');
  });

  test('SIGHUP rotates: new token works, removed one refused, kept one works, in-flight call completes', async () => {
    const text = `in flight ${rnd()}`;
    const inflight = callToolRaw(gw.url, 'sleep', { ms: 1500, text },
                                 { headers: { authorization: `Bearer ${tok.A}` }, timeoutMs: 10000 });
    await gw.waitForLog(new RegExp(`fixture: sleep .*text=${escapeRe(text)}`), 5000);

    fs.writeFileSync(`${file}.new`, `${tok.B}\n${tok.C}\n`);
    fs.renameSync(`${file}.new`, file);
    gw.proc.kill('SIGHUP');

    await waitFor(async () => (await status(gw, tok.C)) === 200,
                  { timeoutMs: 3000, intervalMs: 50, what: 'tokC to be accepted after SIGHUP' });
    assert.equal(await status(gw, tok.A), 401, 'tokA is no longer accepted');
    assert.equal(await status(gw, tok.B), 200, 'tokB still works');
    assert.equal(await status(gw, tok.X), 200, '--auth-token X still works');

    const r = await inflight;
    assert.equal(r.res.status, 200, r.res.text);
    assert.equal(textOf(r.response), text, 'the call in flight during SIGHUP completes');
    assert.equal(gw.exitInfo(), null, 'SIGHUP does not stop the gateway');
    assertNoTokenInLog(gw);
  });

  test('a file that becomes unreadable: SIGHUP keeps the tokens in force and logs an error', async () => {
    const mark = gw.log().length;
    fs.rmSync(file);
    if (process.getuid?.() === 0) {
      fs.mkdirSync(file); // root reads through chmod 000: a directory cannot be read as a file
    } else {
      fs.writeFileSync(file, `${tok.A}\n`);
      fs.chmodSync(file, 0o000);
    }
    gw.proc.kill('SIGHUP');
    const errLine = new RegExp(`^\\S+ (error|warn) .*(${escapeRe(file)}|token)`, 'mi');
    await waitFor(() => errLine.test(gw.log().slice(mark)),
                  { timeoutMs: 3000, what: 'an error in the log after SIGHUP' });
    assert.equal(await status(gw, tok.B), 200, 'tokB still works');
    assert.equal(await status(gw, tok.C), 200, 'tokC still works');
    assert.equal(await status(gw, tok.X), 200, '--auth-token X still works');
    assert.equal(await status(gw, tok.A), 401, 'tokA is still refused');
    assert.equal(gw.exitInfo(), null, 'the gateway keeps running');
  });
});

test('a missing --auth-token-file → exit 2, stderr names the file', async () => {
  const missing = path.join(dir, `no-such-file-${rnd()}`);
  const port = await freePort();
  const r = await runGateway(['--port', String(port), '--stdio', fixtureCmd(),
                              '--auth-token-file', missing], { timeoutMs: 5000 });
  assert.equal(r.timedOut, false, 'exits by itself');
  assert.equal(r.code, 2, `exit status (stderr: ${r.stderr})`);
  assert.ok(r.stderr.includes(missing), `stderr names ${missing}: ${r.stderr}`);
});
