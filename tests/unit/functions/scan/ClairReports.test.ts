import { describe, expect, it } from 'vitest';
import { MAX_DESCRIPTION, parseVulnerabilityReport } from '../../../../functions/scan/ClairReports.ts';

const HASH = `sha256:${'a'.repeat(64)}`;

function report(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    manifest_hash: HASH,
    packages: { '1': { id: '1', name: 'openssl', version: '3.0.1', kind: 'binary' } },
    distributions: {},
    repository: {},
    environments: {},
    vulnerabilities: {
      '10': {
        id: '10',
        updater: 'debian',
        name: 'CVE-2026-0001',
        description: 'bad',
        links: 'https://a.example/1  https://b.example/2',
        severity: 'important',
        normalized_severity: 'High',
        fixed_in_version: '3.0.9',
        package: { id: '', name: 'openssl', version: '' },
      },
    },
    package_vulnerabilities: { '1': ['10'] },
    enrichments: {},
    ...overrides,
  };
}

const vuln = (r: Record<string, unknown>): Record<string, unknown> =>
  (r.vulnerabilities as Record<string, Record<string, unknown>>)['10'] as Record<string, unknown>;

describe('parseVulnerabilityReport', () => {
  it('pairs packages with vulnerabilities, splits links on spaces, keeps the fix', () => {
    // Act
    const parsed = parseVulnerabilityReport(report());
    // Assess
    expect(parsed.vulnerabilities).toEqual([
      {
        vulnerability: 'CVE-2026-0001',
        package: { name: 'openssl', version: '3.0.1' },
        severity: 'High',
        fixedIn: '3.0.9',
        links: ['https://a.example/1', 'https://b.example/2'],
        description: 'bad',
      },
    ]);
    expect(parsed.packages).toBe(1);
  });

  it('reads fixed_in_version "" as no fix', () => {
    const r = report();
    vuln(r).fixed_in_version = '';
    expect(parseVulnerabilityReport(r).vulnerabilities[0]?.fixedIn).toBeUndefined();
  });

  it('tolerates unknown fields at every level', () => {
    const r = report({ future_field: { x: 1 } });
    vuln(r).cvss = { score: 9.8 };
    ((r.packages as Record<string, unknown>)['1'] as Record<string, unknown>).cpe = 'cpe:/a';
    expect(parseVulnerabilityReport(r).vulnerabilities).toHaveLength(1);
  });

  it('treats missing or null maps as empty', () => {
    const parsed = parseVulnerabilityReport({
      manifest_hash: HASH,
      packages: null,
      vulnerabilities: undefined,
    });
    expect(parsed).toEqual({ manifestHash: HASH, packages: 0, vulnerabilities: [], skipped: 0 });
  });

  it('maps an invalid normalized_severity to Unknown instead of refusing the report', () => {
    const r = report();
    vuln(r).normalized_severity = 'Catastrophic';
    expect(parseVulnerabilityReport(r).vulnerabilities[0]?.severity).toBe('Unknown');
  });

  it('truncates huge descriptions', () => {
    const r = report();
    vuln(r).description = 'x'.repeat(1_000_000);
    const description = parseVulnerabilityReport(r).vulnerabilities[0]?.description ?? '';
    expect(description.length).toBe(MAX_DESCRIPTION + 3);
  });

  it('skips and counts a malformed vulnerability, keeping the others', () => {
    const r = report();
    (r.vulnerabilities as Record<string, unknown>)['11'] = { id: '11', name: 42 };
    (r.package_vulnerabilities as Record<string, string[]>)['1'] = ['10', '11', 'missing'];
    const parsed = parseVulnerabilityReport(r);
    expect(parsed.vulnerabilities.map((v) => v.vulnerability)).toEqual(['CVE-2026-0001']);
    expect(parsed.skipped).toBe(1);
  });

  it('falls back to the vulnerability package when package_vulnerabilities does not link it', () => {
    const parsed = parseVulnerabilityReport(report({ package_vulnerabilities: {} }));
    expect(parsed.vulnerabilities[0]?.package).toEqual({ name: 'openssl', version: '' });
  });

  it('throws on a body that is not a report at all', () => {
    expect(() => parseVulnerabilityReport('<html>')).toThrow();
    expect(() => parseVulnerabilityReport({ packages: {} })).toThrow();
  });
});
