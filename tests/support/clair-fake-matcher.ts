// The Matcher API of the Clair v4 fake (clair-fake.ts): vulnerability_report answered 200
// (not 201) with Cache-Control, 202 while the fake is not ready, 404 for a manifest not
// indexed successfully; the report is built from the stored packages and the vulnerability
// DB the test gives the fake.
import type { ServerResponse } from 'node:http';
import { error, send } from './clair-fake-http.ts';
import type { ClairFake, ClairFakeOptions, Stored } from './clair-fake-model.ts';

/** Clair's vulnerability report of a stored manifest. */
export function vulnerabilityReport(
  hash: string,
  stored: Stored,
  options: ClairFakeOptions,
): Record<string, unknown> {
  const packages: Record<string, unknown> = {};
  const vulnerabilities: Record<string, unknown> = {};
  const byPackage: Record<string, string[]> = {};
  let vid = 0;
  stored.packages.forEach((p, i) => {
    const id = String(i + 1);
    packages[id] = { id, name: p.name, version: p.version, kind: 'binary', source: { id: '', name: '' } };
    for (const v of options.vulnerabilities?.[p.name] ?? []) {
      const vulnId = String(++vid);
      vulnerabilities[vulnId] = {
        id: vulnId,
        updater: 'fake-updater',
        name: v.name,
        description: v.description ?? `${v.name} in ${p.name}`,
        issued: '2026-01-01T00:00:00Z',
        links: (v.links ?? [`https://security.example/${v.name}`]).join(' '),
        severity: v.severity ?? v.normalizedSeverity.toLowerCase(),
        normalized_severity: v.normalizedSeverity,
        package: { id: '', name: p.name, version: '', kind: 'binary' },
        distribution: null,
        repository: null,
        fixed_in_version: v.fixedIn ?? '',
        range: null,
      };
      byPackage[id] = [...(byPackage[id] ?? []), vulnId];
    }
  });
  return {
    manifest_hash: hash,
    packages,
    distributions: {},
    repository: {},
    environments: Object.fromEntries(
      Object.keys(packages).map((id) => [id, [{ package_db: 'packages.txt', introduced_in: hash }]]),
    ),
    vulnerabilities,
    package_vulnerabilities: byPackage,
    enrichments: {},
  };
}

/** GET vulnerability_report/<hash>. */
export function getVulnerabilityReport(
  fake: ClairFake,
  options: ClairFakeOptions,
  res: ServerResponse,
  id: string,
): void {
  const stored = fake.reports.get(id);
  if (stored?.report.state !== 'IndexFinished' || !stored) {
    error(res, 404, 'not-found', 'index report not found');
    return;
  }
  if (fake.notReady) {
    send(res, 202);
    return;
  }
  const body = vulnerabilityReport(id, stored, options);
  send(res, 200, fake.rewriteReport ? fake.rewriteReport(body) : body, {
    'cache-control': `max-age=${options.reportMaxAgeSeconds ?? 21600}`,
  });
}
