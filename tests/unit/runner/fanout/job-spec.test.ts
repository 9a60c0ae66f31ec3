import { describe, expect, it } from 'vitest';
import { processContext } from '../../../../cli/context.ts';
import { buildProgram } from '../../../../cli/program.ts';
import {
  buildNodeJob,
  checkFanoutConfig,
  jobNameFor,
  nodeLabelValue,
  runIdFor,
} from '../../../../runner/fanout/job-spec.ts';
import { runnerConfig } from './helpers.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;

describe('buildNodeJob', () => {
  it('pins the node and runs the runner once with the shared config under the node ServiceAccount', () => {
    // Act
    const job = buildNodeJob({ runner: runnerConfig(), node: 'worker-1', runId: '202603011200' });
    // Assess
    const pod = job.spec?.template.spec;
    const container = pod?.containers[0];
    expect(job.metadata).toMatchObject({
      name: 'imagewarden-node-worker-1-202603011200',
      namespace: 'imagewarden',
      labels: {
        'app.kubernetes.io/name': 'imagewarden',
        'app.kubernetes.io/component': 'node-runner',
        'imagewarden.io/node': 'worker-1',
        'imagewarden.io/run': '202603011200',
      },
    });
    expect(pod?.nodeName).toBe('worker-1');
    expect(pod?.serviceAccountName).toBe('imagewarden-node');
    expect(pod?.restartPolicy).toBe('Never');
    expect(container?.args).toEqual(['runner', 'node', '--once', '--config', '/etc/imagewarden/runner.yaml']);
    expect(container?.env).toContainEqual({
      name: 'NODE_NAME',
      valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
    expect(container?.env).toContainEqual({
      name: 'IMAGEWARDEN_RUNNER__NODE_NAME',
      valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
    // a walk abandoned on a hung mount holds a libuv thread: more than the default 4
    expect(container?.env).toContainEqual({ name: 'UV_THREADPOOL_SIZE', value: '16' });
    expect(pod?.volumes).toContainEqual({ name: 'config', configMap: { name: 'imagewarden-runner' } });
  });

  it('sets the Job limits from config in seconds', () => {
    // Act
    const job = buildNodeJob({
      runner: runnerConfig({ fanout: { activeDeadline: '20m', ttlAfterFinished: '2h', backoffLimit: 0 } }),
      node: 'n',
      runId: '1',
    });
    // Assess
    expect(job.spec).toMatchObject({
      activeDeadlineSeconds: 1200,
      ttlSecondsAfterFinished: 7200,
      backoffLimit: 0,
    });
  });

  it('mounts the socket, state and image store, and the kubelet pod dirs read-only without relabel', () => {
    // Act
    const job = buildNodeJob({
      runner: runnerConfig(),
      node: 'n',
      runId: '1',
      containerRuntimeVersion: 'docker://24.0.7',
    });
    // Assess
    const container = job.spec?.template.spec?.containers[0];
    const mounts = Object.fromEntries(
      (container?.volumeMounts ?? []).map((m) => [m.mountPath, m.readOnly ?? false]),
    );
    expect(mounts).toEqual({
      '/etc/imagewarden': true,
      '/var/run/docker.sock': true,
      '/var/lib/imagewarden': false,
      '/var/lib/docker': true,
      '/var/lib/kubelet/pods': true,
      '/tmp': false,
    });
    expect(job.spec?.template.spec?.volumes).toContainEqual({
      name: 'runtime-socket',
      hostPath: { path: '/var/run/docker.sock', type: 'Socket' },
    });
    expect(container?.securityContext).toEqual({
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      runAsUser: 0,
      runAsNonRoot: false,
    });
  });

  it.each([
    ['containerd://1.7.13', 'cri', '/run/containerd/containerd.sock'],
    ['cri-o://1.30.1', 'cri', '/var/run/crio/crio.sock'],
    ['docker://24.0.7', 'docker', '/var/run/docker.sock'],
    [undefined, 'cri', '/run/containerd/containerd.sock'],
  ])('mounts the socket of the node runtime %s and tells the pass (%s on %s)', (version, adapter, socket) => {
    // Act
    const job = buildNodeJob({
      runner: runnerConfig(),
      node: 'n',
      runId: '1',
      containerRuntimeVersion: version,
    });
    // Assess
    const pod = job.spec?.template.spec;
    const container = pod?.containers[0];
    expect(pod?.volumes).toContainEqual({
      name: 'runtime-socket',
      hostPath: { path: socket, type: 'Socket' },
    });
    expect(container?.volumeMounts).toContainEqual({
      name: 'runtime-socket',
      mountPath: socket,
      readOnly: true,
    });
    expect(container?.env).toContainEqual({ name: 'IMAGEWARDEN_RUNNER__RUNTIME', value: adapter });
    expect(container?.env).toContainEqual({ name: 'IMAGEWARDEN_RUNNER__SOCKET', value: socket });
    // only the Docker adapter reads free space from the image store's filesystem
    expect(pod?.volumes?.some((v) => v.name === 'image-store')).toBe(adapter === 'docker');
  });

  it('follows runner.runtime and runner.socket over the node when they are set', () => {
    // Act
    const forced = buildNodeJob({
      runner: runnerConfig({ runtime: 'docker' }),
      node: 'n',
      runId: '1',
      containerRuntimeVersion: 'containerd://1.7.13',
    });
    const ownSocket = buildNodeJob({
      runner: runnerConfig({ socket: '/run/k3s/containerd/containerd.sock' }),
      node: 'n',
      runId: '1',
      containerRuntimeVersion: 'containerd://1.7.13',
    });
    // Assess
    expect(forced.spec?.template.spec?.containers[0]?.env).toContainEqual({
      name: 'IMAGEWARDEN_RUNNER__SOCKET',
      value: '/var/run/docker.sock',
    });
    expect(ownSocket.spec?.template.spec?.volumes).toContainEqual({
      name: 'runtime-socket',
      hostPath: { path: '/run/k3s/containerd/containerd.sock', type: 'Socket' },
    });
  });

  it('mounts the handed set (ConfigMap) and pull secrets (Secret), both named like the Job', () => {
    // Act
    const withSecrets = buildNodeJob({
      runner: runnerConfig(),
      node: 'n',
      runId: '1',
      handed: { credentials: true },
    });
    const withoutSecrets = buildNodeJob({
      runner: runnerConfig(),
      node: 'n',
      runId: '1',
      handed: { credentials: false },
    });
    const byHand = buildNodeJob({ runner: runnerConfig(), node: 'n', runId: '1' });
    // Assess
    const name = 'imagewarden-node-n-1';
    const pod = withSecrets.spec?.template.spec;
    expect(pod?.volumes).toContainEqual({
      name: 'desired-set',
      projected: {
        sources: [
          { configMap: { name, items: [{ key: 'desired-set.json.gz', path: 'desired-set.json.gz' }] } },
          { secret: { name, items: [{ key: 'pull-secrets.json', path: 'pull-secrets.json' }] } },
        ],
      },
    });
    expect(pod?.containers[0]?.volumeMounts).toContainEqual({
      name: 'desired-set',
      mountPath: '/run/imagewarden/desired',
      readOnly: true,
    });
    expect(pod?.containers[0]?.env).toContainEqual({
      name: 'IMAGEWARDEN_RUNNER__DESIRED_SET',
      value: '/run/imagewarden/desired/desired-set.json.gz',
    });
    const sources = withoutSecrets.spec?.template.spec?.volumes?.find((v) => v.name === 'desired-set')
      ?.projected?.sources;
    expect(sources?.map((source) => Object.keys(source)[0])).toEqual(['configMap']);
    expect(byHand.spec?.template.spec?.volumes?.map((v) => v.name)).not.toContain('desired-set');
    expect(byHand.spec?.template.spec?.containers[0]?.env?.map((e) => e.name)).not.toContain(
      'IMAGEWARDEN_RUNNER__DESIRED_SET',
    );
  });

  it('is privileged with writable pod dirs only when relabel is on', () => {
    // Act
    const job = buildNodeJob({ runner: runnerConfig({ selinux: { relabel: true } }), node: 'n', runId: '1' });
    // Assess
    const container = job.spec?.template.spec?.containers[0];
    expect(container?.securityContext?.privileged).toBe(true);
    expect(container?.volumeMounts).toContainEqual({
      name: 'kubelet-pods',
      mountPath: '/var/lib/kubelet/pods',
      readOnly: false,
    });
  });

  it('leaves out the kubelet pod dirs when SELinux checks are off', () => {
    // Act
    const job = buildNodeJob({
      runner: runnerConfig({ selinux: { enabled: false } }),
      node: 'n',
      runId: '1',
    });
    // Assess
    expect(job.spec?.template.spec?.volumes?.map((v) => v.name)).not.toContain('kubelet-pods');
  });

  it('runs as non-root with the socket group when a UID is configured, and follows a Podman socket', () => {
    // Act
    const job = buildNodeJob({
      runner: runnerConfig({
        runtime: 'docker',
        socket: '/run/podman/podman.sock',
        fanout: {
          runAsUser: 65532,
          socketGroup: 998,
          seLinuxType: 'spc_t',
          tolerations: [{ key: 'tenant', operator: 'Exists' }],
        },
      }),
      node: 'n',
      runId: '1',
    });
    // Assess
    const pod = job.spec?.template.spec;
    expect(pod?.securityContext).toMatchObject({
      supplementalGroups: [998],
      seLinuxOptions: { type: 'spc_t' },
    });
    expect(pod?.containers[0]?.securityContext).toMatchObject({ runAsUser: 65532, runAsNonRoot: true });
    expect(pod?.tolerations).toEqual([{ key: 'tenant', operator: 'Exists' }]);
    expect(pod?.volumes).toContainEqual({
      name: 'runtime-socket',
      hostPath: { path: '/run/podman/podman.sock', type: 'Socket' },
    });
  });

  it('mounts the pull-credentials Secret at runner.dockerConfig when one is named', () => {
    // Act
    const job = buildNodeJob({
      runner: runnerConfig({
        dockerConfig: '/run/imagewarden/docker/config.json',
        fanout: { dockerConfigSecret: 'registry-pull' },
      }),
      node: 'n',
      runId: '1',
    });
    // Assess
    const pod = job.spec?.template.spec;
    expect(pod?.volumes).toContainEqual({
      name: 'pull-credentials',
      secret: { secretName: 'registry-pull', items: [{ key: '.dockerconfigjson', path: 'config.json' }] },
    });
    expect(pod?.containers[0]?.volumeMounts).toContainEqual({
      name: 'pull-credentials',
      mountPath: '/run/imagewarden/docker/config.json',
      subPath: 'config.json',
      readOnly: true,
    });
  });

  it('refuses a pull-credentials Secret without a path to mount it at', () => {
    expect(() =>
      checkFanoutConfig(runnerConfig({ fanout: { dockerConfigSecret: 'registry-pull' } })),
    ).toThrow(/runner\.fanout\.dockerConfigSecret: needs runner\.dockerConfig/);
  });

  it('names the pull secrets and PriorityClass for the runner image when configured', () => {
    // Act
    const plain = buildNodeJob({ runner: runnerConfig(), node: 'n', runId: '1' }).spec?.template.spec;
    const configured = buildNodeJob({
      runner: runnerConfig({
        fanout: { imagePullSecrets: ['harbor-pull'], priorityClassName: 'system-node-critical' },
      }),
      node: 'n',
      runId: '1',
    }).spec?.template.spec;
    // Assess
    expect(plain).not.toHaveProperty('imagePullSecrets');
    expect(plain).not.toHaveProperty('priorityClassName');
    expect(configured).toMatchObject({
      imagePullSecrets: [{ name: 'harbor-pull' }],
      priorityClassName: 'system-node-critical',
    });
  });

  it('carries requests and limits', () => {
    // Act
    const job = buildNodeJob({ runner: runnerConfig(), node: 'n', runId: '1' });
    // Assess
    expect(job.spec?.template.spec?.containers[0]?.resources).toEqual({
      requests: { cpu: '50m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '256Mi' },
    });
  });
});

describe('the node Job command line', () => {
  it('names a command and options the CLI has', () => {
    // Prepare
    const program = buildProgram(processContext(new AbortController().signal));
    const job = buildNodeJob({ runner: runnerConfig(), node: 'n', runId: '1' });
    const [group, command, ...rest] = job.spec?.template.spec?.containers[0]?.args ?? [];
    // Act
    const sub = program.commands.find((c) => c.name() === group)?.commands.find((c) => c.name() === command);
    // Assess
    expect(sub, `${group} ${command}`).toBeDefined();
    const flags = rest.filter((arg) => arg.startsWith('--'));
    for (const flag of flags)
      expect(
        sub?.options.map((o) => o.long),
        flag,
      ).toContain(flag);
    expect(flags).toEqual(['--once', '--config']);
  });
});

describe('names', () => {
  it('derives the run id from the tick minute', () => {
    expect(runIdFor(new Date('2026-03-01T07:05:42Z'))).toBe('202603010705');
  });

  it('keeps Job names valid DNS labels for long and odd node names, distinct per node', () => {
    // Prepare
    const long = `ip-10-0-1-23.${'x'.repeat(60)}.compute.internal`;
    const longer = `${long}2`;
    // Act
    const names = [long, longer, 'Node_With.Dots', 'worker-1'].map((n) => jobNameFor(n, '202603010705'));
    // Assess
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(DNS_LABEL);
    }
    expect(new Set(names).size).toBe(4);
    expect(names[3]).toBe('imagewarden-node-worker-1-202603010705');
  });

  it('keeps node label values valid, hashing names over 63 characters', () => {
    // Prepare
    const long = `node-${'a'.repeat(80)}.example.com`;
    // Act
    const value = nodeLabelValue(long);
    // Assess
    expect(value.length).toBeLessThanOrEqual(63);
    expect(value).toMatch(LABEL_VALUE);
    expect(nodeLabelValue('worker-1')).toBe('worker-1');
    expect(nodeLabelValue(`${long}x`)).not.toBe(value);
  });
});
