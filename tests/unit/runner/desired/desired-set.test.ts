import { describe, expect, it } from 'vitest';
import type { KubeNode, PodSpec, Workload, WorkloadKind } from '../../../../runner/cluster/types.ts';
import { buildDesiredSet } from '../../../../runner/desired/desired-set.ts';

const node: KubeNode = { metadata: { name: 'n1', labels: { pool: 'apps' } }, spec: {} };

function workload(
  kind: WorkloadKind,
  name: string,
  spec: Partial<PodSpec>,
  extra: Partial<Workload> = {},
): Workload {
  return {
    kind,
    namespace: 'shop',
    name,
    uid: `uid-${name}`,
    ownerReferences: [],
    replicas: kind === 'Deployment' || kind === 'ReplicaSet' || kind === 'StatefulSet' ? 1 : undefined,
    podSpec: { containers: [], ...spec },
    inactive: false,
    suspended: false,
    ...extra,
  };
}

const containers = (...images: unknown[]) => images.map((image, i) => ({ name: `c${i}`, image }));

describe('buildDesiredSet', () => {
  it('collects container and init container images, normalised and deduplicated with every reason', () => {
    // Prepare
    const workloads = [
      workload('Deployment', 'web', {
        initContainers: containers('busybox:1.36'),
        containers: containers('nginx', 'registry.corp/shop/web:2'),
      }),
      workload('StatefulSet', 'db', { containers: containers('docker.io/library/nginx:latest') }),
    ];

    // Act
    const set = buildDesiredSet({ node, workloads });

    // Assess
    const nginx = set.images.find((image) => image.reference === 'docker.io/library/nginx:latest');
    expect(set.images.map((image) => image.reference).sort()).toEqual([
      'docker.io/library/busybox:1.36',
      'docker.io/library/nginx:latest',
      'registry.corp/shop/web:2',
    ]);
    expect(nginx?.reasons).toEqual(['Deployment shop/web', 'StatefulSet shop/db']);
    expect(nginx?.workloads).toBe(2);
  });

  it('keeps images of workloads scaled to zero and puts them before busier ones, after the warm list', () => {
    // Prepare
    const workloads = [
      workload('Deployment', 'busy-a', { containers: containers('app/busy:1') }),
      workload('Deployment', 'busy-b', { containers: containers('app/busy:1') }),
      workload('Deployment', 'on-demand', { containers: containers('app/notebook:7') }, { replicas: 0 }),
    ];

    // Act
    const set = buildDesiredSet({ node, workloads, warm: ['app/base:1'] });

    // Assess
    expect(set.images.map((image) => image.reference)).toEqual([
      'docker.io/app/base:1',
      'docker.io/app/notebook:7',
      'docker.io/app/busy:1',
    ]);
    expect(set.images[1]?.scaledToZero).toBe(true);
    expect(set.images[0]?.reasons).toEqual(['warm list']);
  });

  it('leaves out images of pods that could never schedule on this node', () => {
    // Prepare
    const workloads = [
      workload('Deployment', 'elsewhere', {
        nodeSelector: { pool: 'gpu' },
        containers: containers('gpu/train:1'),
      }),
      workload('Deployment', 'here', { nodeSelector: { pool: 'apps' }, containers: containers('app/web:1') }),
    ];

    // Act
    const set = buildDesiredSet({ node, workloads });

    // Assess
    expect(set.images.map((image) => image.reference)).toEqual(['docker.io/app/web:1']);
    expect(set.counts.notSchedulable).toBe(1);
  });

  it('counts controller-owned objects through their owner, but bare and statically owned pods on their own', () => {
    // Prepare
    const owner = (kind: string) => ({ ownerReferences: [{ kind, name: 'o', uid: 'u', controller: true }] });
    const workloads = [
      workload('Deployment', 'web', { containers: containers('app/web:2') }),
      workload('ReplicaSet', 'web-old', { containers: containers('app/web:1') }, owner('Deployment')),
      workload('Pod', 'web-old-x', { containers: containers('app/web:1') }, owner('ReplicaSet')),
      workload('Pod', 'static', { containers: containers('app/static:1') }, owner('Node')),
      workload('Pod', 'bare', { containers: containers('app/bare:1') }),
    ];

    // Act
    const set = buildDesiredSet({ node, workloads });

    // Assess
    expect(set.images.map((image) => image.reference).sort()).toEqual([
      'docker.io/app/bare:1',
      'docker.io/app/static:1',
      'docker.io/app/web:2',
    ]);
    expect(set.counts.ownedSkipped).toBe(2);
  });

  it('counts owned objects on their own when the owner kind could not be listed', () => {
    const workloads = [
      workload(
        'ReplicaSet',
        'web-rs',
        { containers: containers('app/web:1') },
        {
          ownerReferences: [{ kind: 'Deployment', name: 'web', uid: 'u', controller: true }],
        },
      ),
    ];
    const set = buildDesiredSet({ node, workloads, unlistedKinds: ['Deployment'] });
    expect(set.images.map((image) => image.reference)).toEqual(['docker.io/app/web:1']);
  });

  it('skips finished Jobs', () => {
    const workloads = [
      workload('Job', 'done', { containers: containers('app/migrate:1') }, { inactive: true }),
      workload('CronJob', 'nightly', { containers: containers('app/report:1') }),
    ];
    const set = buildDesiredSet({ node, workloads });
    expect(set.images.map((image) => image.reference)).toEqual(['docker.io/app/report:1']);
    expect(set.counts.inactiveSkipped).toBe(1);
  });

  it('includes suspended CronJobs and unfinished Jobs by default, like apps scaled to zero', () => {
    // Prepare
    const workloads = [
      workload('CronJob', 'paused', { containers: containers('app/report:1') }, { suspended: true }),
      workload('Job', 'held', { containers: containers('app/batch:1') }, { suspended: true }),
      workload('Deployment', 'web', { containers: containers('app/web:1') }),
    ];
    // Act
    const byDefault = buildDesiredSet({ node, workloads });
    const switchedOff = buildDesiredSet({ node, workloads, includeSuspended: false });
    // Assess
    expect(byDefault.images.map((image) => image.reference).sort()).toEqual([
      'docker.io/app/batch:1',
      'docker.io/app/report:1',
      'docker.io/app/web:1',
    ]);
    expect(byDefault.counts.inactiveSkipped).toBe(0);
    expect(switchedOff.images.map((image) => image.reference)).toEqual(['docker.io/app/web:1']);
    expect(switchedOff.counts.inactiveSkipped).toBe(2);
  });

  it('reports malformed image strings with their workload and keeps the rest', () => {
    // Prepare
    const workloads = [
      workload('Deployment', 'broken', { containers: containers('UPPER/Case:1', '', 42, 'app/ok:1') }),
    ];

    // Act
    const set = buildDesiredSet({ node, workloads, warm: ['not a ref'] });

    // Assess
    expect(set.images.map((image) => image.reference)).toEqual(['docker.io/app/ok:1']);
    expect(set.malformed.map((bad) => [bad.workload, bad.image])).toEqual([
      ['Deployment shop/broken', 'UPPER/Case:1'],
      ['Deployment shop/broken', ''],
      ['Deployment shop/broken', 42],
      ['warm list', 'not a ref'],
    ]);
  });

  it('applies include and exclude globs to registries and repositories', () => {
    // Prepare
    const workloads = [
      workload('Deployment', 'w', {
        containers: containers(
          'registry.corp/team/a:1',
          'registry.corp/other/b:1',
          'mirror.corp/x:1',
          'nginx:1',
        ),
      }),
    ];

    // Act
    const set = buildDesiredSet({
      node,
      workloads,
      include: ['*.corp'],
      exclude: ['registry.corp/other/**'],
    });

    // Assess
    expect(set.images.map((image) => image.reference).sort()).toEqual([
      'mirror.corp/x:1',
      'registry.corp/team/a:1',
    ]);
    expect(set.counts.filtered).toBe(2);
  });

  it('carries the namespace-qualified pull secrets of every workload wanting the image', () => {
    const workloads = [
      workload('Deployment', 'a', {
        imagePullSecrets: [{ name: 'regcred' }],
        containers: containers('r.corp/x:1'),
      }),
      workload(
        'Deployment',
        'b',
        { imagePullSecrets: [{ name: 'regcred' }, {}], containers: containers('r.corp/x:1') },
        { namespace: 'other' },
      ),
    ];
    const set = buildDesiredSet({ node, workloads });
    expect(set.images[0]?.pullSecrets).toEqual([
      { namespace: 'shop', name: 'regcred' },
      { namespace: 'other', name: 'regcred' },
    ]);
    // and the service accounts the pods run as (their imagePullSecrets apply too)
    expect(set.images[0]?.serviceAccounts).toEqual([
      { namespace: 'shop', name: 'default' },
      { namespace: 'other', name: 'default' },
    ]);
  });
});
