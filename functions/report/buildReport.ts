// Builds the report of the last cycle from what the steps stored. Pure: the CLI (and, later,
// the notify function) loads the inputs and writes the outputs.
import { DAY_MS } from '../../core/clock.ts';
import type { Finding, PolicyFinding, VulnerabilityFinding } from '../../core/findings/Finding.ts';
import { SEVERITY_RANK, type Severity } from '../../core/severity.ts';
import type { Ack } from '../acks/Ack.ts';
import { describeScope } from '../acks/Ack.ts';
import { ackEndsAt, activeAckMatcher } from '../acks/matcher.ts';
import type { InventorySnapshot } from '../inventory/InventoryItem.ts';
import type {
  ReportAck,
  ReportChanges,
  ReportImage,
  ReportModel,
  ReportOwner,
  ReportPolicy,
  ReportRunner,
  ReportVulnerability,
} from './ReportModel.ts';

export interface ReportInputs {
  snapshot: InventorySnapshot;
  findings: Finding[];
  acks: Ack[];
  runners: ReportRunner[];
  /** The report of the cycle before this one, when there was one. */
  previous: ReportModel | undefined;
  now: Date;
  notes?: string[];
}

const bySeverity = (a: { severity: Severity }, b: { severity: Severity }): number =>
  SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity];

export function buildReport(inputs: ReportInputs): ReportModel {
  const { snapshot, findings, now } = inputs;
  const ackFor = activeAckMatcher(inputs.acks, now);
  const findingsByRepo = new Map<string, number>();
  for (const f of findings) findingsByRepo.set(f.repository, (findingsByRepo.get(f.repository) ?? 0) + 1);

  const owners = ownersOf(snapshot, findingsByRepo, now);
  const vulnerabilities = vulnerabilityRows(
    findings.filter((f): f is VulnerabilityFinding => f.kind === 'vulnerability'),
    ackFor,
  );
  const policy: ReportPolicy[] = findings
    .filter((f): f is PolicyFinding => f.kind === 'policy')
    .map((f) => ({
      rule: f.rule,
      repository: f.repository,
      owner: f.recipient.address,
      detail: f.detail,
      remedy: f.remedy,
      acknowledged: ackFor(f) !== undefined,
    }))
    .sort((a, b) => a.rule.localeCompare(b.rule) || a.repository.localeCompare(b.repository));
  const selinux = findings.flatMap((f) =>
    f.kind === 'selinux'
      ? [
          {
            check: f.check,
            where: f.repository,
            severity: f.severity,
            detail: f.detail,
            owner: f.recipient.address,
          },
        ]
      : [],
  );
  const acks = activeAcks(inputs.acks, now);
  const findingKeys = findings.map((f) => f.key).sort();
  const imageKeys = snapshot.items.map((i) => `${i.repository}@${i.digest ?? i.id}`).sort();
  const findingsBySeverity: Record<string, number> = {};
  for (const v of vulnerabilities)
    findingsBySeverity[v.severity] = (findingsBySeverity[v.severity] ?? 0) + v.images.length;

  return {
    version: 1,
    generatedAt: now.toISOString(),
    cycle: { takenAt: snapshot.takenAt, window: snapshot.window },
    totals: {
      images: snapshot.items.length,
      hosts: new Set(snapshot.items.flatMap((i) => i.hosts.sample)).size,
      owners: owners.length,
      findingsBySeverity,
      policy: policy.length,
      selinux: selinux.length,
      acknowledged: findings.filter((f) => ackFor(f) !== undefined).length,
    },
    owners,
    vulnerabilities,
    policy,
    selinux: selinux.sort(bySeverity),
    acks,
    changes: changesSince(inputs.previous, findingKeys, imageKeys),
    runners: inputs.runners,
    findingKeys,
    imageKeys,
    notes: inputs.notes ?? [],
  };
}

function ownersOf(
  snapshot: InventorySnapshot,
  findingsByRepo: Map<string, number>,
  now: Date,
): ReportOwner[] {
  const groups = new Map<string, ReportImage[]>();
  for (const item of snapshot.items) {
    const created = item.created === undefined ? Number.NaN : Date.parse(item.created);
    const image: ReportImage = {
      repository: item.repository,
      ...(item.digest ? { digest: item.digest } : {}),
      tags: item.tags,
      hosts: item.hosts.count,
      sampleHosts: item.hosts.sample,
      containers: item.containers,
      ...(Number.isNaN(created) ? {} : { ageDays: Math.floor((now.getTime() - created) / DAY_MS) }),
      ...(item.created ? { created: item.created } : {}),
      ownerRule: item.owner.rule,
      findings: findingsByRepo.get(item.repository) ?? 0,
    };
    const list = groups.get(item.owner.address) ?? [];
    list.push(image);
    groups.set(item.owner.address, list);
  }
  return [...groups.entries()]
    .map(([owner, images]) => ({
      owner,
      images: images.sort((a, b) => b.findings - a.findings || a.repository.localeCompare(b.repository)),
    }))
    .sort((a, b) => a.owner.localeCompare(b.owner));
}

function vulnerabilityRows(
  findings: VulnerabilityFinding[],
  ackFor: (f: Finding) => Ack | undefined,
): ReportVulnerability[] {
  const rows = new Map<string, ReportVulnerability>();
  for (const f of findings) {
    const key = `${f.vulnerability}|${f.package.name}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        vulnerability: f.vulnerability,
        severity: f.severity,
        package: f.package.name,
        versions: [],
        ...(f.fixedIn ? { fixedIn: f.fixedIn } : {}),
        ...(f.links[0] ? { link: f.links[0] } : {}),
        images: [],
      };
      rows.set(key, row);
    }
    if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[row.severity]) row.severity = f.severity;
    if (!row.versions.includes(f.package.version)) row.versions.push(f.package.version);
    row.images.push({
      repository: f.repository,
      owner: f.recipient.address,
      acknowledged: ackFor(f) !== undefined,
    });
  }
  return [...rows.values()].sort(
    (a, b) =>
      bySeverity(a, b) ||
      Number(b.fixedIn !== undefined) - Number(a.fixedIn !== undefined) ||
      b.images.length - a.images.length ||
      a.vulnerability.localeCompare(b.vulnerability),
  );
}

function activeAcks(acks: Ack[], now: Date): ReportAck[] {
  return (
    acks
      // ackEndsAt is undefined while an ack still silences
      .filter((a) => ackEndsAt(a, now) === undefined)
      .map((a) => ({
        covers: describeScope(a.scope),
        reason: a.reason,
        author: a.author,
        source: a.source,
        createdAt: a.createdAt,
        expiresAt: a.expiresAt,
      }))
      .sort((a, b) => a.expiresAt.localeCompare(b.expiresAt))
  );
}

function changesSince(
  previous: ReportModel | undefined,
  findingKeys: string[],
  imageKeys: string[],
): ReportChanges {
  if (!previous) return { newFindings: [], resolvedFindings: [], newImages: [], goneImages: [] };
  const diff = (a: string[], b: string[]): string[] => {
    const other = new Set(b);
    return a.filter((k) => !other.has(k));
  };
  return {
    since: previous.cycle.takenAt,
    newFindings: diff(findingKeys, previous.findingKeys),
    resolvedFindings: diff(previous.findingKeys, findingKeys),
    newImages: diff(imageKeys, previous.imageKeys),
    goneImages: diff(previous.imageKeys, imageKeys),
  };
}
