import { describe, expect, it } from 'vitest';
import {
  checkContainers,
  type InspectedContainer,
  type PodSelinux,
} from '../../../../runner/selinux/check-containers.ts';
import type { ExpectedLevel } from '../../../../runner/selinux/expected-level.ts';
import { parseLevel } from '../../../../runner/selinux/mcs.ts';

const level = (s: string): ExpectedLevel => ({ level: parseLevel(s), source: 'label' });
const levels = new Map<string, ExpectedLevel | undefined>([
  ['shop', level('s0:c593,c693')],
  ['free', undefined],
]);

function container(
  name: string,
  ns: string,
  pod: string,
  label: string,
  extra: Partial<InspectedContainer> = {},
): InspectedContainer {
  return {
    id: `id-${name}`,
    names: [`/k8s_${name}`],
    image: 'img',
    imageId: 'sha256:x',
    state: 'running',
    labels: {
      'io.kubernetes.pod.namespace': ns,
      'io.kubernetes.pod.name': pod,
      'io.kubernetes.container.name': name,
      'io.kubernetes.pod.uid': `uid-${pod}`,
    },
    pid: 1,
    processLabel: `system_u:system_r:container_t:${label}`,
    mountLabel: `system_u:object_r:container_file_t:${label}`,
    securityOpt: [],
    mounts: [],
    ...extra,
  };
}

describe('checkContainers', () => {
  it('passes containers at their namespace level (category order does not matter)', () => {
    const got = checkContainers([container('app', 'shop', 'web', 's0:c693,c593')], [], levels, 'n1');
    expect(got).toMatchObject({ checked: 1, drifted: 0, issues: [] });
  });

  it('flags a container whose process, mount or SecurityOpt level differs, as critical', () => {
    // Prepare
    const drifted = container('app', 'shop', 'web', 's0:c1,c2', { securityOpt: ['label=level:s0:c1,c2'] });
    // Act
    const got = checkContainers([drifted], [], levels, 'n1');
    // Assess
    expect(got.drifted).toBe(1);
    expect(got.issues[0]).toMatchObject({
      check: 'container-drift',
      severity: 'Critical',
      namespace: 'shop',
      subject: 'web/app',
      expected: 's0:c593,c693',
      actual: ['ProcessLabel s0:c1,c2', 'MountLabel s0:c1,c2', 'SecurityOpt s0:c1,c2'],
    });
  });

  it('flags label=disable and an empty process label', () => {
    const got = checkContainers(
      [
        container('a', 'shop', 'p', 's0:c593,c693', { securityOpt: ['label=disable'] }),
        container('b', 'shop', 'p', 's0:c593,c693', { processLabel: '' }),
      ],
      [],
      levels,
      'n1',
    );
    expect(got.drifted).toBe(2);
    expect(got.issues.map((i) => i.detail).join('\n')).toMatch(/label=disable[\s\S]*ProcessLabel is empty/);
  });

  it('uses the container seLinuxOptions over the pod and namespace, and reports the override', () => {
    // Prepare
    const pod: PodSelinux = {
      metadata: { name: 'p', namespace: 'shop' },
      spec: {
        securityContext: { seLinuxOptions: { level: 's0:c7,c8' } },
        containers: [{ name: 'a', securityContext: { seLinuxOptions: { level: 's0:c9,c10' } } }],
      },
    };
    // Act
    const got = checkContainers([container('a', 'shop', 'p', 's0:c9,c10')], [pod], levels, 'n1');
    // Assess
    expect(got.drifted).toBe(0);
    expect(got.issues.map((i) => i.check)).toEqual(['pod-level-override']);
  });

  it('skips stopped containers, non-pod containers and counts namespaces without a level', () => {
    const got = checkContainers(
      [
        container('a', 'shop', 'p', 's0:c1,c2', { state: 'exited' }),
        { ...container('b', 'shop', 'p', 's0:c1,c2'), labels: {} },
        container('c', 'free', 'q', 's0:c1,c2'),
      ],
      [],
      levels,
      'n1',
    );
    expect(got).toMatchObject({ checked: 0, drifted: 0, notPods: 1, noExpectation: 1 });
  });
});
