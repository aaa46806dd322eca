// mcpgw keygen and mcpgw probe: the tools a container needs without curl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startGateway, fixtureCmd } from './lib.mjs';

const BIN = process.env.MCPGW_BIN || new URL('../../build/mcpgw', import.meta.url).pathname;

function run(args) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 10000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('keygen prints 32 random bytes as hex, different each time', () => {
  const a = run(['keygen']), b = run(['keygen']);
  assert.equal(a.code, 0);
  assert.match(a.out, /^[0-9a-f]{64}\n$/);
  assert.notEqual(a.out, b.out);
  assert.match(run(['keygen', '--bytes', '16']).out, /^[0-9a-f]{32}\n$/);
  assert.equal(run(['keygen', '--bytes', '0']).code, 2);
});

test('probe: 0 for a 200, 1 for a 503 or no answer, 2 for a bad URL', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd({ FIXTURE_INIT_DELAY_MS: '3000' })],
                                { t, readyz: false });
  assert.equal(run(['probe', `${gw.base}/healthz`]).code, 0);
  const starting = run(['probe', `${gw.base}/readyz`]);
  assert.equal(starting.code, 1);
  assert.match(starting.err, /status 503/);
  assert.equal(run(['probe', 'http://127.0.0.1:1/healthz', '--timeout', '1s']).code, 1);
  assert.equal(run(['probe', 'ftp://x/']).code, 2);
});
