// Command line: refusals exit with status 2 and name the problem; --help
// and --version exit 0; a public bind needs a token or an explicit opt-out.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import { fixtureCmd, freePort, killAll, runGateway, startGateway } from './lib.mjs';

after(killAll);

async function refused(args, re) {
  const r = await runGateway(args);
  assert.equal(r.timedOut, false, `mcpgw ${args.join(' ')} should exit, it kept running`);
  assert.equal(r.code, 2, `exit status of mcpgw ${args.join(' ')}; stderr: ${r.stderr}`);
  if (re) assert.match(r.stderr, re);
  return r;
}

test('--host 0.0.0.0 without a token → exit 2, naming the problem', async () => {
  const port = await freePort();
  const r = await refused(['--stdio', fixtureCmd(), '--host', '0.0.0.0', '--port', String(port)],
                          /auth|token|unauthenticated/i);
  assert.ok(r.stderr.trim().length > 0);
});

test('--host 0.0.0.0 --allow-unauthenticated starts', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--host', '0.0.0.0',
                                 '--allow-unauthenticated'], { t });
  const st = await gw.stop();
  assert.deepEqual(st, { code: 0, signal: null });
});

test('--host 0.0.0.0 with --auth-token starts', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd(), '--host', '0.0.0.0',
                                 '--auth-token', 'tok-startup'], { t });
  const st = await gw.stop();
  assert.deepEqual(st, { code: 0, signal: null });
});

test('an unknown flag → exit 2, stderr names it', async () => {
  await refused(['--stdio', fixtureCmd(), '--no-such-flag'], /--no-such-flag/);
});

test('--port abc → exit 2', async () => {
  await refused(['--stdio', fixtureCmd(), '--port', 'abc'], /port/);
});

test('--port 70000 → exit 2', async () => {
  await refused(['--stdio', fixtureCmd(), '--port', '70000'], /port/);
});

test('--port without a value → exit 2', async () => {
  await refused(['--stdio', fixtureCmd(), '--port'], /port/);
});

test('--sse → exit 2, not supported yet', async () => {
  await refused(['--stdio', fixtureCmd(), '--sse', 'http://x'], /--sse: not supported yet/);
});

test('no --stdio → exit 2, naming --stdio', async () => {
  const port = await freePort();
  await refused(['--port', String(port)], /--stdio/);
});

test('--max-body-size nonsense → exit 2', async () => {
  await refused(['--stdio', fixtureCmd(), '--max-body-size', '12Q'], /max-body-size/);
});

test('--help → exit 0, usage on stdout mentions --stdio', async () => {
  const r = await runGateway(['--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /--stdio/);
});

test('--version → exit 0 with a version', async () => {
  const r = await runGateway(['--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\d+\.\d+\.\d+/);
});

test('a token given on the command line is not echoed in errors', async () => {
  const r = await refused(['--stdio', fixtureCmd(), '--auth-token', 'sekrit-xyz', '--bogus'],
                          /--bogus/);
  assert.ok(!r.stderr.includes('sekrit-xyz'));
  assert.ok(!r.stdout.includes('sekrit-xyz'));
});
