import { describe, expect, it } from 'vitest';
import { auditNamespaces } from '../../../../runner/selinux/audit.ts';
import type { NamespaceMeta } from '../../../../runner/selinux/expected-level.ts';

const KEY = 'example.com/selinux-context';
const SYSTEM = ['kube-*', 'openshift*', 'default'];
const ns = (
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): NamespaceMeta => ({
  name,
  labels,
  annotations,
});

describe('auditNamespaces', () => {
  it('finds two namespaces sharing a level, whatever order the categories are written in', () => {
    // Prepare
    const namespaces = [
      ns('shop', { [KEY]: '593-693' }),
      ns('bank', {}, { 'openshift.io/sa.scc.mcs': 's0:c693,c593' }),
      ns('blog', { [KEY]: '1-2' }),
    ];
    // Act
    const got = auditNamespaces(namespaces, { labelKey: KEY, systemNamespaces: SYSTEM });
    // Assess
    expect(got.collisions).toBe(1);
    const collisions = got.issues.filter((i) => i.check === 'level-collision');
    expect(collisions.map((i) => [i.namespace, i.severity, i.actual])).toEqual([
      ['bank', 'Critical', ['shop']],
      ['shop', 'Critical', ['bank']],
    ]);
  });

  it('reports tenant namespaces with no level, not system ones', () => {
    const got = auditNamespaces(
      [ns('kube-system'), ns('openshift-monitoring'), ns('default'), ns('tenant-a')],
      {
        labelKey: KEY,
        systemNamespaces: SYSTEM,
      },
    );
    expect(got.tenantsWithoutLevel).toBe(1);
    expect(got.issues.map((i) => [i.check, i.namespace])).toEqual([['missing-level', 'tenant-a']]);
  });

  it.each([
    ['1000660000/10000', 's0:c26,c5', 0],
    ['1000660000/10000', 's0:c5,c26', 0],
    ['1000660000/10000', 's0:c3,c2', 1],
    ['1000010000/10000', 's0:c26,c5', 1],
  ])('checks uid range %s against sa.scc.mcs %s (mismatches: %i)', (range, mcs, mismatches) => {
    const got = auditNamespaces(
      [ns('p', {}, { 'openshift.io/sa.scc.uid-range': range, 'openshift.io/sa.scc.mcs': mcs })],
      { labelKey: KEY, systemNamespaces: SYSTEM },
    );
    expect(got.uidRangeMismatches).toBe(mismatches);
    const found = got.issues.filter((i) => i.check === 'uid-range-mismatch');
    expect(found).toHaveLength(mismatches);
    for (const issue of found) expect(issue.detail).toMatch(/implies s0:c\d+,c\d+/);
  });

  it('turns malformed labels and annotations into findings about each namespace, not a crash', () => {
    // Prepare
    const namespaces = [
      ns('a', { [KEY]: '593-' }),
      ns('b', {}, { 'openshift.io/sa.scc.mcs': 'c1024' }),
      ns(
        'c',
        {},
        { 'openshift.io/sa.scc.mcs': 's0:c5,c5', 'openshift.io/sa.scc.uid-range': '1000660000/10000' },
      ),
      ns(
        'd',
        { [KEY]: '\u0000garbage' },
        { 'openshift.io/sa.scc.uid-range': 'lots', 'openshift.io/sa.scc.mcs': 's0:c26,c5' },
      ),
    ];
    // Act
    const got = auditNamespaces(namespaces, { labelKey: KEY, systemNamespaces: SYSTEM });
    // Assess
    expect(got.malformed).toBe(5);
    expect(new Set(got.issues.filter((i) => i.check === 'malformed-level').map((i) => i.namespace))).toEqual(
      new Set(['a', 'b', 'c', 'd']),
    );
    expect(got.tenantsWithoutLevel).toBe(0);
  });
});
