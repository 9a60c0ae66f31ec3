import { describe, expect, it } from 'vitest';
import type { VulnerabilityFinding } from '../../../../core/findings/Finding.ts';
import { type AckMatcher, filterForAlerting } from '../../../../functions/notify/filterForAlerting.ts';

const now = new Date('2026-01-02T00:00:00Z');

function finding(
  name: string,
  severity: VulnerabilityFinding['severity'],
  fixedIn?: string,
): VulnerabilityFinding {
  return {
    kind: 'vulnerability',
    key: `vuln|r/app|${name}|pkg`,
    repository: 'r/app',
    digests: ['sha256:1'],
    severity,
    where: { hostCount: 1, sampleHosts: ['h'], containers: 1 },
    recipient: { address: 'a@example.org', rule: 'label', detail: 'x' },
    title: name,
    detectedAt: now.toISOString(),
    vulnerability: name,
    package: { name: 'pkg', version: '1' },
    ...(fixedIn ? { fixedIn } : {}),
    links: [],
  };
}

const findings = [
  finding('critical-fixed', 'Critical', '2'),
  finding('high-fixed', 'High', '2'),
  finding('high-unfixed', 'High'),
  finding('medium-fixed', 'Medium', '2'),
  finding('unknown-fixed', 'Unknown', '2'),
];

describe('filterForAlerting', () => {
  it('by default alerts High and above that have a fix, and counts what it held back', () => {
    const out = filterForAlerting(findings, { now });
    expect(out.alert.map((f) => f.vulnerability)).toEqual(['critical-fixed', 'high-fixed']);
    expect(out.suppressed).toEqual({ belowSeverity: 2, unfixable: 1, acknowledged: 0 });
  });

  it('honours a lower minimum severity and fixable-only off', () => {
    const out = filterForAlerting(findings, { now, minSeverity: 'Medium', fixableOnly: false });
    expect(out.alert.map((f) => f.vulnerability)).toEqual([
      'critical-fixed',
      'high-fixed',
      'high-unfixed',
      'medium-fixed',
    ]);
  });

  it('leaves out findings an active acknowledgement covers, asking the matcher with the time', () => {
    const asked: Date[] = [];
    const acks: AckMatcher = (f, at) => {
      asked.push(at);
      return f.vulnerability === 'critical-fixed';
    };
    const out = filterForAlerting(findings, { now, acks });
    expect(out.alert.map((f) => f.vulnerability)).toEqual(['high-fixed']);
    expect(out.suppressed.acknowledged).toBe(1);
    expect(asked.every((d) => d === now)).toBe(true);
  });

  it('does not change the findings it is given (the stored report keeps everything)', () => {
    const copy = structuredClone(findings);
    filterForAlerting(findings, { now });
    expect(findings).toEqual(copy);
  });
});
