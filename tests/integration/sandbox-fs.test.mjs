// SPDX-License-Identifier: MIT
//
// @modelcontextprotocol/server-filesystem (pinned in package.json) under
// --sandbox --allow-write DIR, through the SDK client: it lists, reads and
// writes DIR, and a symlink in DIR that points out of it is refused by the
// kernel (Landlock's EACCES), not only by the server's own path checks:
// the server is told that the outside directory is allowed too, so its
// checks pass and only the sandbox stands in the way.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { MCPGW_BIN, ROOT, connectClient, killAll, shq, startGateway } from './lib.mjs';

after(killAll);

const SERVER = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-filesystem',
  'dist', 'index.js');
const check = spawnSync(MCPGW_BIN, ['sandbox-check'], { encoding: 'utf8' });
const skip = process.getuid() === 0 && check.status === 0 ? false : 'needs root and sandbox-check to pass';

function tree() {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-fs-'));
  fs.chmodSync(top, 0o755);
  const dir = path.join(top, 'data');
  const outside = path.join(top, 'outside');
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
  fs.mkdirSync(outside, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'hello.txt'), 'hello from DIR\n', { mode: 0o644 });
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'SECRET outside DIR\n', { mode: 0o644 });
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'escape.txt'));
  // The server runs as nobody: DIR is its to write.
  for (const p of [dir, path.join(dir, 'sub')]) fs.chownSync(p, 65534, 65534);
  return { top, dir, outside };
}

const text = (r) => r.content.map((c) => c.text).join('\n');

describe('server-filesystem under --sandbox --allow-write DIR', { skip }, () => {
  let t;
  let gw;
  let client;
  before(async () => {
    t = tree();
    const cmd = `exec ${shq(process.execPath)} ${shq(SERVER)} ${shq(t.dir)} ${shq(t.outside)}`;
    gw = await startGateway(['--stdio', cmd, '--sandbox', '--allow-write', t.dir,
      '--allow-read', path.join(ROOT, 'node_modules')], { timeoutMs: 30000 });
    client = await connectClient(gw.url);
  });
  after(async () => {
    await client?.close();
    await gw?.stop();
    if (t) fs.rmSync(t.top, { recursive: true, force: true });
  });

  test('lists, reads and writes DIR', async () => {
    const list = text(await client.callTool({ name: 'list_directory', arguments: { path: t.dir } }));
    assert.match(list, /\[FILE\] hello\.txt/);
    assert.match(list, /\[DIR\] sub/);
    const read = await client.callTool({ name: 'read_text_file', arguments: { path: path.join(t.dir, 'hello.txt') } });
    assert.equal(text(read), 'hello from DIR\n');
    const w = await client.callTool({ name: 'write_file',
      arguments: { path: path.join(t.dir, 'sub', 'new.txt'), content: 'written' } });
    assert.ok(!w.isError, text(w));
    assert.equal(fs.readFileSync(path.join(t.dir, 'sub', 'new.txt'), 'utf8'), 'written');
  });

  test('a symlink in DIR that points out of it: EACCES from the kernel', async () => {
    const r = await client.callTool({ name: 'read_text_file', arguments: { path: path.join(t.dir, 'escape.txt') } });
    assert.equal(r.isError, true, text(r));
    assert.match(text(r), /EACCES|permission denied/i);
    assert.doesNotMatch(text(r), /SECRET/);
    // Its own check would have said "Access denied - ...": it passed.
    assert.doesNotMatch(text(r), /Access denied/);
  });

  test('the outside directory itself: EACCES, though the server allows it', async () => {
    const list = await client.callTool({ name: 'list_directory', arguments: { path: t.outside } });
    assert.equal(list.isError, true, text(list));
    assert.match(text(list), /EACCES|permission denied/i);
  });
});

describe('server-filesystem without --sandbox (the control)', () => {
  let t;
  let gw;
  let client;
  before(async () => {
    t = tree();
    const cmd = `exec ${shq(process.execPath)} ${shq(SERVER)} ${shq(t.dir)} ${shq(t.outside)}`;
    gw = await startGateway(['--stdio', cmd], { timeoutMs: 30000 });
    client = await connectClient(gw.url);
  });
  after(async () => {
    await client?.close();
    await gw?.stop();
    if (t) fs.rmSync(t.top, { recursive: true, force: true });
  });

  test('the same symlink is followed: the kernel is what refused it above', async () => {
    const r = await client.callTool({ name: 'read_text_file', arguments: { path: path.join(t.dir, 'escape.txt') } });
    assert.ok(!r.isError, text(r));
    assert.equal(text(r), 'SECRET outside DIR\n');
  });
});

describe('npx under --sandbox --no-network with the default limits', { skip }, () => {
  test('starts server-everything from the checkout and answers', async (t) => {
    // npx finds the pinned package in the checkout's node_modules/.bin,
    // so it needs no network; its cache and logs go to the work directory.
    const cmd = `cd ${shq(ROOT)} && exec npx --no mcp-server-everything`;
    const gw = await startGateway(['--stdio', cmd, '--sandbox', '--no-network', '--allow-read', ROOT],
      { t, timeoutMs: 30000 });
    assert.match(gw.log(), /memory 1G, tasks 256 \(cgroup v\d, each child its own\)|address space 16G, tasks 256/);
    const client = await connectClient(gw.url);
    t.after(() => client.close());
    const r = await client.callTool({ name: 'echo', arguments: { message: 'from npx' } });
    assert.equal(text(r), 'Echo: from npx');
    await client.close();
    await gw.stop();
  });
});
