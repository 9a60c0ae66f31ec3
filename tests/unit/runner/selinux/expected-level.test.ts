import { describe, expect, it } from 'vitest';
import { containerExpectedLevel, namespaceLevel } from '../../../../runner/selinux/expected-level.ts';
import { formatLevel } from '../../../../runner/selinux/mcs.ts';

const KEY = 'example.com/selinux-context';

describe('namespaceLevel', () => {
  it('reads the seed label form', () => {
    const got = namespaceLevel({ name: 'a', labels: { [KEY]: '593-693' }, annotations: {} }, KEY);
    expect(got.expected && formatLevel(got.expected.level)).toBe('s0:c593,c693');
    expect(got.expected?.source).toBe('label');
    expect(got.issues).toEqual([]);
  });

  it('reads the OpenShift annotation when there is no label', () => {
    const got = namespaceLevel(
      { name: 'b', labels: {}, annotations: { 'openshift.io/sa.scc.mcs': 's0:c26,c5' } },
      KEY,
    );
    expect(got.expected && formatLevel(got.expected.level)).toBe('s0:c5,c26');
    expect(got.expected?.source).toBe('annotation');
  });

  it('accepts label and annotation naming the same level in different orders', () => {
    const got = namespaceLevel(
      { name: 'c', labels: { [KEY]: '26-5' }, annotations: { 'openshift.io/sa.scc.mcs': 's0:c26,c5' } },
      KEY,
    );
    expect(got.issues).toEqual([]);
  });

  it('reports a label and an annotation that disagree, and uses the label', () => {
    const got = namespaceLevel(
      { name: 'd', labels: { [KEY]: '1-2' }, annotations: { 'openshift.io/sa.scc.mcs': 's0:c26,c5' } },
      KEY,
    );
    expect(got.issues.map((i) => i.check)).toEqual(['conflicting-levels']);
    expect(got.expected && formatLevel(got.expected.level)).toBe('s0:c1,c2');
  });

  it.each([
    [{ [KEY]: '593-' }, {}],
    [{}, { 'openshift.io/sa.scc.mcs': 'c1024' }],
    [{}, { 'openshift.io/sa.scc.mcs': 's0:c5,c5' }],
    [{ [KEY]: 'garbage' }, { 'openshift.io/sa.scc.mcs': '¯\\_(ツ)_/¯' }],
  ])('turns malformed values %j %j into findings about the namespace, not a crash', (labels, annotations) => {
    // Act
    const got = namespaceLevel({ name: 'tenant-x', labels, annotations }, KEY);
    // Assess
    expect(got.expected).toBeUndefined();
    expect(got.issues.length).toBeGreaterThan(0);
    for (const issue of got.issues) {
      expect(issue.check).toBe('malformed-level');
      expect(issue.namespace).toBe('tenant-x');
      expect(issue.key).toMatch(/^selinux\|tenant-x\|malformed-level\|/);
    }
  });

  it('gives no level and no issue for a namespace with neither', () => {
    expect(namespaceLevel({ name: 'e', labels: {}, annotations: {} }, KEY)).toEqual({
      namespace: 'e',
      expected: undefined,
      issues: [],
    });
  });
});

describe('containerExpectedLevel', () => {
  const ns = namespaceLevel({ name: 't', labels: { [KEY]: '5-26' }, annotations: {} }, KEY).expected;

  it('uses the namespace level when the pod sets none', () => {
    const got = containerExpectedLevel({ namespace: 't', pod: 'p' }, 'app', ns);
    expect(got.expected?.source).toBe('label');
    expect(got.issues).toEqual([]);
  });

  it('lets the container level override the pod level, and reports both differing from the namespace', () => {
    // Act
    const got = containerExpectedLevel(
      { namespace: 't', pod: 'p', podLevel: 's0:c1,c2', containerLevels: { app: 's0:c7,c8' } },
      'app',
      ns,
    );
    // Assess
    expect(got.expected?.source).toBe('container');
    expect(got.expected && formatLevel(got.expected.level)).toBe('s0:c7,c8');
    expect(got.issues.map((i) => i.check)).toEqual(['pod-level-override']);
  });

  it('falls back to the pod level when the container level is malformed, reporting it', () => {
    const got = containerExpectedLevel(
      { namespace: 't', pod: 'p', podLevel: 's0:c26,c5', containerLevels: { app: 's0:c5,c5' } },
      'app',
      ns,
    );
    expect(got.expected?.source).toBe('pod');
    expect(got.issues.map((i) => i.check)).toEqual(['malformed-level']);
  });
});
