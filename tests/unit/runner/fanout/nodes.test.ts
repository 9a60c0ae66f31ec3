import { describe, expect, it } from 'vitest';
import { classifyNodes, tolerates } from '../../../../runner/fanout/nodes.ts';
import { node } from './helpers.ts';

describe('classifyNodes', () => {
  it('keeps Ready, schedulable, matching nodes and names the reason for every other', () => {
    // Prepare
    const items = [
      node('worker-b'),
      node('worker-a'),
      node('cordoned', { unschedulable: true }),
      node('down', { ready: false }),
      node('unknown', { ready: 'Unknown' }),
      node('gpu', { labels: { pool: 'gpu' } }),
    ];
    // Act
    const result = classifyNodes(items, {}, [{ operator: 'Exists' }]);
    // Assess
    expect(result.eligible).toEqual(['gpu', 'worker-a', 'worker-b']);
    expect(result.ineligible).toEqual([
      { node: 'cordoned', reason: 'cordoned' },
      { node: 'down', reason: 'not-ready' },
      { node: 'unknown', reason: 'not-ready' },
    ]);
    expect([...result.present].sort()).toEqual([
      'cordoned',
      'down',
      'gpu',
      'unknown',
      'worker-a',
      'worker-b',
    ]);
  });

  it('applies the node selector: every label must match', () => {
    // Prepare
    const items = [
      node('t1', { labels: { pool: 'tenant', zone: 'a' } }),
      node('t2', { labels: { pool: 'tenant', zone: 'b' } }),
      node('sys', { labels: { pool: 'system' } }),
    ];
    // Act
    const result = classifyNodes(items, { pool: 'tenant', zone: 'a' }, []);
    // Assess
    expect(result.eligible).toEqual(['t1']);
    expect(result.ineligible).toEqual([
      { node: 't2', reason: 'unmatched' },
      { node: 'sys', reason: 'unmatched' },
    ]);
  });

  it('skips nodes with NoSchedule/NoExecute taints the Job does not tolerate, ignores PreferNoSchedule', () => {
    // Prepare
    const items = [
      node('tenant', { taints: [{ key: 'tenant', value: 'acme', effect: 'NoSchedule' }] }),
      node('evicting', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] }),
      node('soft', { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] }),
    ];
    // Act
    const result = classifyNodes(items, {}, [{ key: 'tenant', operator: 'Exists' }]);
    // Assess
    expect(result.eligible).toEqual(['soft', 'tenant']);
    expect(result.ineligible).toEqual([{ node: 'evicting', reason: 'untolerated-taint' }]);
  });

  it('counts malformed objects with where they broke, and still knows a named one is present', () => {
    // Prepare
    const items = [
      node('good'),
      null,
      'a string',
      { metadata: { name: 'no-status' }, status: { conditions: 'Ready' } },
      { metadata: {} },
      { kind: 'Node' },
    ];
    // Act
    const result = classifyNodes(items, {}, []);
    // Assess
    expect(result.eligible).toEqual(['good']);
    expect(result.malformed.map((m) => m.index)).toEqual([1, 2, 3, 4, 5]);
    expect(result.malformed[2]).toMatchObject({
      name: 'no-status',
      issue: expect.stringContaining('status.conditions'),
    });
    expect(result.present.has('no-status')).toBe(true);
  });
});

describe('tolerates', () => {
  const taint = { key: 'tenant', value: 'acme', effect: 'NoSchedule' };

  it('follows the Kubernetes matching rules', () => {
    expect(tolerates({ operator: 'Exists' }, taint)).toBe(true);
    expect(tolerates({ key: 'tenant', operator: 'Exists' }, taint)).toBe(true);
    expect(tolerates({ key: 'tenant', value: 'acme' }, taint)).toBe(true);
    expect(tolerates({ key: 'tenant', operator: 'Equal', value: 'other' }, taint)).toBe(false);
    expect(tolerates({ key: 'tenant', operator: 'Exists', effect: 'NoExecute' }, taint)).toBe(false);
    expect(tolerates({ key: 'other', operator: 'Exists' }, taint)).toBe(false);
    // An empty key with Equal matches nothing.
    expect(tolerates({ operator: 'Equal' }, taint)).toBe(false);
  });
});
