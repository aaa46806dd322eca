// The deployment files of conf/ that the nginx and image tests do not run:
// the systemd units pass systemd-analyze verify (with ExecStart pointed at
// the binary under test), and the Kubernetes manifests render with
// kubectl kustomize into what the README promises: probes, limits, a
// restrictive securityContext, a Service per pod, the router, the
// Ingress. The flags the manifests and units give mcpgw are accepted by
// the real binary.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { MCPGW_BIN, ROOT } from './lib.mjs';

const CONF = path.join(ROOT, 'conf');

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60000, ...opts });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The flags of an ExecStart line (backslash continuations joined). */
function execStartArgs(unit) {
  const text = unit.replace(/\\\n\s*/g, ' ');
  const line = text.split('\n').find((l) => l.startsWith('ExecStart='));
  return line.slice('ExecStart='.length).trim().split(/\s+/).slice(1);
}

/** Runs mcpgw with args and --help: 0 when every flag is known and valid. */
function flagsAccepted(args, env = {}) {
  return sh(MCPGW_BIN, [...args, '--help'], { env: { PATH: process.env.PATH, ...env } });
}

for (const name of ['mcpgw.service', 'mcpgw@.service']) {
  test(`systemd: ${name} passes systemd-analyze verify, and mcpgw takes its flags`, () => {
    const unit = fs.readFileSync(path.join(CONF, 'systemd', name), 'utf8');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-unit-'));
    try {
      // An instance name for the template, as systemctl start mcpgw@r1 gives.
      const file = path.join(dir, name.replace('@.', '@r1.'));
      fs.writeFileSync(file, unit.replaceAll('/usr/local/bin/mcpgw', MCPGW_BIN));
      const v = sh('systemd-analyze', ['verify', '--man=no', file]);
      assert.equal(v.code, 0, v.err);
      assert.equal(v.err.split('\n').filter((l) => l.includes(path.basename(file))).join('\n'), '',
                   'no complaint about the unit');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const args = execStartArgs(unit).map((a) => a.replaceAll('%i', 'r1'));
    const r = flagsAccepted(args);
    assert.equal(r.code, 0, `mcpgw ${args.join(' ')}: ${r.err}`);
  });
}

test('Kubernetes: the manifests render, with probes, limits, a restrictive securityContext, a Service per pod, the router and the Ingress', () => {
  const k = sh('kubectl', ['kustomize', path.join(CONF, 'k8s')]);
  assert.equal(k.code, 0, k.err);
  const y = sh('python3', ['-c', 'import sys, json, yaml; print(json.dumps(list(yaml.safe_load_all(sys.stdin))))'],
               { input: k.out });
  assert.equal(y.code, 0, y.err);
  const docs = JSON.parse(y.out).filter(Boolean);
  const of = (kind) => docs.filter((d) => d.kind === kind);

  const [sts] = of('StatefulSet');
  assert.ok(sts, 'a StatefulSet');
  const pod = sts.spec.template.spec;
  const c = pod.containers.find((x) => x.name === 'mcpgw');
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  assert.ok(c.resources.limits.memory && c.resources.limits.cpu, 'memory and CPU limits');
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.runAsUser, 10001, 'the image\'s own user');
  assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.equal(pod.automountServiceAccountToken, false);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  const replicaId = c.env.find((e) => e.name === 'MCPGW_REPLICA_ID');
  assert.equal(replicaId?.valueFrom?.fieldRef?.fieldPath, 'metadata.name', 'the pod name names the replica');
  assert.ok(c.volumeMounts.some((m) => m.mountPath === '/data'), 'a writable /data for the server');

  // The container's flags and environment are ones mcpgw takes.
  const env = Object.fromEntries(c.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
  const r = flagsAccepted(c.args, { ...env, MCPGW_REPLICA_ID: 'mcpgw-0' });
  assert.equal(r.code, 0, `mcpgw ${c.args.join(' ')}: ${r.err}`);

  // One Service per pod, selected by its stable name.
  const perPod = of('Service').filter((s) => s.spec.selector?.['statefulset.kubernetes.io/pod-name']);
  assert.equal(perPod.length, sts.spec.replicas, 'a Service for each replica');
  const router = of('Deployment').find((d) => /router/.test(d.metadata.name));
  assert.ok(router, 'the router Deployment');
  assert.ok(of('ConfigMap').some((m) => Object.keys(m.data ?? {}).includes('router.conf')),
            'the router conf as a ConfigMap');
  const [ing] = of('Ingress');
  assert.equal(ing.metadata.annotations['nginx.ingress.kubernetes.io/proxy-buffering'], 'off');
});
