// Vulnerability findings from per-digest scan results: one per (repository, vulnerability
// name, package name), merging every in-use digest of the repository, so the key (and the
// acknowledgements and notified state hanging off it) survives a rebuild to a new digest.
// Stored, unfiltered, in the StateStore collection `vuln-findings` under the finding key.

import { type VulnerabilityFinding, vulnerabilityKey } from '../../core/findings/Finding.ts';
import { SEVERITY_RANK } from '../../core/severity.ts';
import type { InventoryItem } from '../inventory/InventoryItem.ts';
import type { DigestVulnerability, ScanResult } from './ScanResult.ts';

export const VULN_FINDINGS = 'vuln-findings';
const SAMPLE_HOSTS = 5;

/** Accumulates findings as digest results arrive; `add` returns the findings it changed. */
export class FindingsCollector {
  readonly #items = new Map<string, InventoryItem[]>();
  readonly #detectedAt: Map<string, string>;
  readonly #findings = new Map<string, VulnerabilityFinding>();
  /** inventory items merged into each finding, to add an item's hosts only once */
  readonly #merged = new Map<string, Set<string>>();
  /** containers of the item whose owner is the recipient: the biggest user of the image decides */
  readonly #recipientWeight = new Map<string, number>();

  /** `previous`: findings stored by earlier runs, whose `detectedAt` is kept. */
  constructor(
    items: readonly InventoryItem[],
    previous: ReadonlyMap<string, VulnerabilityFinding> = new Map(),
  ) {
    for (const item of items) {
      if (item.digest) this.#items.set(item.digest, [...(this.#items.get(item.digest) ?? []), item]);
    }
    this.#detectedAt = new Map([...previous].map(([k, f]) => [k, f.detectedAt]));
  }

  add(result: ScanResult, now: Date): VulnerabilityFinding[] {
    const changed = new Map<string, VulnerabilityFinding>();
    for (const item of this.#items.get(result.digest) ?? []) {
      for (const v of result.vulnerabilities) {
        const key = vulnerabilityKey(item.repository, v.vulnerability, v.package.name);
        const existing = this.#findings.get(key);
        const takesRecipient = item.containers > (this.#recipientWeight.get(key) ?? -1);
        if (takesRecipient) this.#recipientWeight.set(key, item.containers);
        const merged = existing
          ? mergeInto(existing, v, item, this.#merged.get(key), takesRecipient)
          : create(key, v, item, this.#detectedAt.get(key) ?? now.toISOString());
        const seen = this.#merged.get(key) ?? new Set<string>();
        seen.add(item.id);
        this.#merged.set(key, seen);
        this.#findings.set(key, merged);
        changed.set(key, merged);
      }
    }
    return [...changed.values()];
  }

  /** The finding as merged so far (write this, not an older copy, when digests finish concurrently). */
  current(key: string): VulnerabilityFinding | undefined {
    return this.#findings.get(key);
  }

  get findings(): VulnerabilityFinding[] {
    return [...this.#findings.values()].sort((a, b) => a.key.localeCompare(b.key));
  }
}

function title(
  f: Pick<VulnerabilityFinding, 'vulnerability' | 'package' | 'severity' | 'fixedIn' | 'repository'>,
): string {
  return `${f.vulnerability} (${f.severity}) in ${f.package.name} ${f.package.version} of ${f.repository}${
    f.fixedIn ? `; fixed in ${f.fixedIn}` : '; no fix yet'
  }`;
}

function create(
  key: string,
  v: DigestVulnerability,
  item: InventoryItem,
  detectedAt: string,
): VulnerabilityFinding {
  const finding: VulnerabilityFinding = {
    kind: 'vulnerability',
    key,
    repository: item.repository,
    digests: [item.digest ?? item.id],
    severity: v.severity,
    where: {
      hostCount: item.hosts.count,
      sampleHosts: item.hosts.sample.slice(0, SAMPLE_HOSTS),
      containers: item.containers,
    },
    recipient: item.owner,
    title: '',
    detectedAt,
    vulnerability: v.vulnerability,
    package: { ...v.package },
    ...(v.fixedIn === undefined ? {} : { fixedIn: v.fixedIn }),
    links: [...v.links],
    ...(v.description === undefined ? {} : { description: v.description }),
  };
  finding.title = title(finding);
  return finding;
}

function mergeInto(
  f: VulnerabilityFinding,
  v: DigestVulnerability,
  item: InventoryItem,
  mergedItems: Set<string> | undefined,
  takesRecipient: boolean,
): VulnerabilityFinding {
  const digest = item.digest ?? item.id;
  const out: VulnerabilityFinding = {
    ...f,
    digests: [...f.digests],
    where: { ...f.where },
    package: { ...f.package },
  };
  if (!mergedItems?.has(item.id)) {
    out.digests = [...new Set([...out.digests, digest])].sort();
    out.where.hostCount += item.hosts.count;
    out.where.containers += item.containers;
    out.where.sampleHosts = [...new Set([...out.where.sampleHosts, ...item.hosts.sample])].slice(
      0,
      SAMPLE_HOSTS,
    );
  }
  if (SEVERITY_RANK[v.severity] > SEVERITY_RANK[out.severity]) out.severity = v.severity;
  const versions = new Set(out.package.version.split(', ').filter(Boolean));
  if (v.package.version) versions.add(v.package.version);
  out.package.version = [...versions].sort().join(', ');
  if (out.fixedIn === undefined && v.fixedIn !== undefined) out.fixedIn = v.fixedIn;
  out.links = [...new Set([...out.links, ...v.links])];
  if (takesRecipient) out.recipient = item.owner;
  out.title = title(out);
  return out;
}
