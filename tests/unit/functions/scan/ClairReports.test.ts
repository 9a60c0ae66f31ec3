import { describe, expect, it } from 'vitest';
import { MAX_DESCRIPTION, parseVulnerabilityReport } from '../../../../functions/scan/ClairReports.ts';
import { clairReport } from './clair-report-fixture.ts';

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
    // the malformed entry, and the link to a vulnerability the report does not hold
    expect(parsed.skipped).toBe(2);
  });

  it('never falls back to the vulnerability package when package_vulnerabilities does not link it', () => {
    const parsed = parseVulnerabilityReport(report({ package_vulnerabilities: {} }));
    expect(parsed.vulnerabilities).toEqual([]);
  });

  it('counts links to a package or vulnerability the report does not hold as skipped', () => {
    const parsed = parseVulnerabilityReport(
      report({ package_vulnerabilities: { '1': ['10', 'gone'], '9': ['10'] } }),
    );
    expect(parsed.vulnerabilities).toHaveLength(1);
    expect(parsed.skipped).toBe(2);
  });

  it('keeps both versions when one vulnerability hits two packages of one name', () => {
    const r = report({
      packages: {
        '1': { id: '1', name: 'openssl', version: '3.0.1' },
        '2': { id: '2', name: 'openssl', version: null },
      },
      package_vulnerabilities: { '1': ['10'], '2': ['10'] },
    });
    const parsed = parseVulnerabilityReport(r);
    expect(parsed.vulnerabilities.map((v) => v.package)).toEqual([
      { name: 'openssl', version: '' },
      { name: 'openssl', version: '3.0.1' },
    ]);
  });

  it('merges two updaters reporting one name on one package: worst severity, a fix when either has one', () => {
    const r = report();
    (r.vulnerabilities as Record<string, unknown>)['11'] = {
      ...vuln(r),
      id: '11',
      updater: 'osv/debian',
      normalized_severity: 'Critical',
      fixed_in_version: '',
      links: 'https://c.example/3',
    };
    (r.package_vulnerabilities as Record<string, string[]>)['1'] = ['10', '11'];
    const [only, ...rest] = parseVulnerabilityReport(r).vulnerabilities;
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ severity: 'Critical', fixedIn: '3.0.9' });
    expect(only?.links).toEqual(['https://a.example/1', 'https://b.example/2', 'https://c.example/3']);
  });

  it('tolerates null fields as Clair sends them', () => {
    const r = report();
    Object.assign(vuln(r), {
      description: null,
      links: null,
      severity: null,
      normalized_severity: null,
      fixed_in_version: null,
      package: null,
      distribution: null,
      repository: null,
      range: null,
    });
    const [v] = parseVulnerabilityReport(r).vulnerabilities;
    expect(v).toEqual({
      vulnerability: 'CVE-2026-0001',
      package: { name: 'openssl', version: '3.0.1' },
      severity: 'Unknown',
      links: [],
    });
  });

  describe('on a report shaped like the real matcher output', () => {
    const parsed = parseVulnerabilityReport(clairReport());

    it('yields exactly the pairs package_vulnerabilities lists, named by packages[id]', () => {
      expect(parsed.vulnerabilities.map((v) => [v.vulnerability, v.package.name, v.package.version])).toEqual(
        [
          ['CVE-2023-45853', 'zlib1g', '1:1.2.13.dfsg-1'],
          ['CVE-2024-0727', 'libssl3', '3.0.11-1~deb12u1'],
          ['GHSA-v845-jxx5-vc9f', 'urllib3', '1.26.5'],
          ['PYSEC-2023-74', 'requests', '2.25.0'],
        ],
      );
      expect(parsed.packages).toBe(5);
      expect(parsed.skipped).toBe(0);
    });

    it('never reports the vulnerability no package links (the jinja2 "not vulnerable" entry)', () => {
      expect(parsed.vulnerabilities.some((v) => v.vulnerability === 'GHSA-h5c8-rqwp-cp95')).toBe(false);
      expect(parsed.vulnerabilities.some((v) => v.package.name === 'jinja2')).toBe(false);
    });

    it('reads fixed versions: plain, "" as none, OSV fixed= as the version, lastAffected alone as none', () => {
      const fix = Object.fromEntries(parsed.vulnerabilities.map((v) => [v.vulnerability, v.fixedIn]));
      expect(fix).toEqual({
        'CVE-2024-0727': '3.0.13-1~deb12u1',
        'CVE-2023-45853': undefined,
        'GHSA-v845-jxx5-vc9f': '1.26.17',
        'PYSEC-2023-74': undefined,
      });
    });

    it('takes the severity from normalized_severity, not the vendor string or enrichments', () => {
      const severity = Object.fromEntries(parsed.vulnerabilities.map((v) => [v.vulnerability, v.severity]));
      expect(severity).toEqual({
        'CVE-2024-0727': 'Medium',
        'CVE-2023-45853': 'Critical',
        'GHSA-v845-jxx5-vc9f': 'High',
        'PYSEC-2023-74': 'Medium',
      });
    });
  });

  it('throws on a body that is not a report at all', () => {
    expect(() => parseVulnerabilityReport('<html>')).toThrow();
    expect(() => parseVulnerabilityReport({ packages: {} })).toThrow();
  });
});
