// mcpgw keygen and mcpgw probe: the tools a container needs without curl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startGateway, fixtureCmd } from './lib.mjs';

const BIN = process.env.MCPGW_BIN || new URL('../../build/mcpgw', import.meta.url).pathname;

function run(args, opts = {}) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 10000, ...opts });
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

test('probe with no URL asks /readyz where MCPGW_* and SUPERGATEWAY_EXTRA_ARGS say the gateway listens', async (t) => {
  const gw = await startGateway(['--stdio', fixtureCmd()], { t });
  const port = new URL(gw.base).port;
  const env = (extra) => ({ env: { ...process.env, MCPGW_PORT: '', SUPERGATEWAY_EXTRA_ARGS: '', ...extra } });
  assert.equal(run(['probe'], env({ MCPGW_PORT: port })).code, 0);
  assert.equal(run(['probe', '--timeout', '2s'], env({ SUPERGATEWAY_EXTRA_ARGS: `--port ${port}` })).code, 0);
  const wild = run(['probe'], env({ MCPGW_HOST: '0.0.0.0', MCPGW_PORT: port }));
  assert.equal(wild.code, 0, `a wildcard address is probed on loopback: ${wild.err}`);
  const none = run(['probe', '--timeout', '1s'], env({ MCPGW_PORT: '1' }));
  assert.equal(none.code, 1);
  assert.match(none.err, /127\.0\.0\.1:1\/readyz: no answer/);
  const bad = run(['probe'], env({ MCPGW_PORT: 'abc' }));
  assert.equal(bad.code, 2);
  assert.match(bad.err, /MCPGW_PORT: invalid number/);
});
