// The cycle report: what it says (owners, severities, changes, acks) and that nothing from
// outside can become markup, a script, a network load or a reordered line on the page.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../../core/findings/Finding.ts';
import type { Ack } from '../../../../functions/acks/Ack.ts';
import type { InventoryItem, InventorySnapshot } from '../../../../functions/inventory/InventoryItem.ts';
import { buildReport } from '../../../../functions/report/buildReport.ts';
import { renderReportHtml } from '../../../../functions/report/renderHtml.ts';

const NOW = new Date('2026-12-06T12:00:00Z');
const DIGEST = `sha256:${'a'.repeat(64)}`;

function item(repository: string, owner: string, overrides: Partial<InventoryItem> = {}): InventoryItem {
  return {
    id: DIGEST,
    digest: DIGEST,
    repository,
    registry: repository.split('/')[0] as string,
    tags: ['1.0'],
    references: [`${repository}:1.0`],
    hosts: { count: 2, sample: ['h1.example.org', 'h2.example.org'] },
    containers: 2,
    ownerCandidates: [],
    owner: { address: owner, rule: 'label', detail: 'owner' },
    firstSeen: '2026-12-06T10:00:00Z',
    lastSeen: '2026-12-06T11:00:00Z',
    created: '2026-11-06T12:00:00Z',
    ...overrides,
  };
}

function snapshot(items: InventoryItem[], takenAt = '2026-12-06T11:00:00Z'): InventorySnapshot {
  return { takenAt, window: { from: '2026-12-06T09:00:00Z', to: takenAt }, items };
}

function vuln(repository: string, name: string, severity: 'Critical' | 'Low', fixedIn?: string): Finding {
  return {
    kind: 'vulnerability',
    key: `vuln|${repository}|${name}|openssl`,
    repository,
    digests: [DIGEST],
    severity,
    where: { hostCount: 2, sampleHosts: ['h1.example.org'], containers: 2 },
    recipient: { address: 'team@example.org', rule: 'label', detail: 'owner' },
    title: name,
    detectedAt: '2026-12-06T11:00:00Z',
    vulnerability: name,
    package: { name: 'openssl', version: '3.0.1' },
    ...(fixedIn ? { fixedIn } : {}),
    links: ['javascript:alert(1)'],
  };
}

const ack: Ack = {
  id: 'a1',
  scope: { repository: 'r.example/team/app', vulnerability: 'CVE-1' },
  reason: 'mitigated by config',
  author: 'alice@example.org',
  source: 'link',
  createdAt: '2026-12-01T00:00:00.000Z',
  expiresAt: '2027-01-01T00:00:00.000Z',
};

describe('buildReport', () => {
  it('groups images by owner with age, rows vulnerabilities by severity and marks acknowledged images', () => {
    const model = buildReport({
      snapshot: snapshot([
        item('r.example/team/app', 'team@example.org'),
        item('r.example/ops/db', 'ops@example.org'),
      ]),
      findings: [
        vuln('r.example/team/app', 'CVE-2', 'Low'),
        vuln('r.example/team/app', 'CVE-1', 'Critical', '3.0.9'),
      ],
      acks: [ack, { ...ack, id: 'old', expiresAt: '2026-12-02T00:00:00.000Z' }],
      runners: [],
      previous: undefined,
      now: NOW,
    });

    expect(model.owners.map((o) => o.owner)).toEqual(['ops@example.org', 'team@example.org']);
    expect(model.owners[1]?.images[0]).toMatchObject({
      repository: 'r.example/team/app',
      ageDays: 30,
      findings: 2,
    });
    expect(model.vulnerabilities.map((v) => [v.vulnerability, v.severity, v.fixedIn])).toEqual([
      ['CVE-1', 'Critical', '3.0.9'],
      ['CVE-2', 'Low', undefined],
    ]);
    expect(model.vulnerabilities[0]?.images).toEqual([
      { repository: 'r.example/team/app', owner: 'team@example.org', acknowledged: true },
    ]);
    // the expired ack is not listed
    expect(model.acks.map((a) => [a.author, a.reason, a.expiresAt])).toEqual([
      ['alice@example.org', 'mitigated by config', '2027-01-01T00:00:00.000Z'],
    ]);
    expect(model.changes.since).toBeUndefined();
  });

  it('says what changed since the previous cycle', () => {
    const first = buildReport({
      snapshot: snapshot([item('r.example/team/app', 'team@example.org')], '2026-12-05T11:00:00Z'),
      findings: [vuln('r.example/team/app', 'CVE-1', 'Critical', '3.0.9')],
      acks: [],
      runners: [],
      previous: undefined,
      now: NOW,
    });
    const second = buildReport({
      snapshot: snapshot([item('r.example/ops/db', 'ops@example.org')]),
      findings: [vuln('r.example/ops/db', 'CVE-3', 'Low')],
      acks: [],
      runners: [],
      previous: first,
      now: NOW,
    });

    expect(second.changes).toEqual({
      since: '2026-12-05T11:00:00Z',
      newFindings: ['vuln|r.example/ops/db|CVE-3|openssl'],
      resolvedFindings: ['vuln|r.example/team/app|CVE-1|openssl'],
      newImages: [`r.example/ops/db@${DIGEST}`],
      goneImages: [`r.example/team/app@${DIGEST}`],
    });
    expect(renderReportHtml(second)).toContain('Since the previous cycle (2026-12-05T11:00:00Z)');
  });
});

describe('renderReportHtml', () => {
  it('renders hostile strings inert: no markup, no script, no network load, control and bidi characters visible', () => {
    const hostile = '<script>alert(1)</script><img src=http://evil.example/x>\u001b[31m\u202egnp.exe';
    const long = `r.example/${'a'.repeat(3000)}`;
    const model = buildReport({
      snapshot: snapshot([
        item(`r.example/${hostile}`, `"><b>x</b>@example.org`),
        item(long, 'team@example.org'),
      ]),
      findings: [vuln(`r.example/${hostile}`, `CVE-<i>1</i>`, 'Critical', '<u>9</u>')],
      acks: [{ ...ack, reason: hostile, author: '<a href=x>me</a>' }],
      runners: [{ node: hostile, ok: false, summary: { [hostile]: hostile }, fatal: hostile }],
      previous: undefined,
      now: NOW,
      notes: [hostile],
    });

    const html = renderReportHtml(model);

    expect(html).not.toMatch(/<script|<img|<i>|<u>|<b>x|<a href=x/i);
    expect(html).not.toMatch(/<[a-z][^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toContain('javascript:');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting the escape character is gone
    expect(html).not.toMatch(/[\u001b\u202e]/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('\\u{001b}[31m\\u{202e}gnp.exe');
    expect(html).toContain(
      "Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"",
    );
    expect(html).toContain('a'.repeat(3000));
  });
});
