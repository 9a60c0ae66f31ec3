// Findings and stores for the notify and acks tests: shaped exactly like the scan and
// inventory steps store them (core/findings/Finding.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import {
  type PolicyFinding,
  policyKey,
  type SelinuxFinding,
  type VulnerabilityFinding,
  vulnerabilityKey,
} from '../../../../core/findings/Finding.ts';
import { FileStateStore } from '../../../../core/state/FileStateStore.ts';
import type { StateStore } from '../../../../core/state/StateStore.ts';
import { DeliveryError, type Mailer, type SendReceipt } from '../../../../functions/notify/Mailer.ts';
import type { ComposedMessage } from '../../../../functions/notify/types.ts';

export const DIGEST = `sha256:${'a'.repeat(64)}`;

export function vuln(
  over: Partial<VulnerabilityFinding> & { owner?: string; pkg?: string } = {},
): VulnerabilityFinding {
  const repository = over.repository ?? 'harbor.example.org/team/app';
  const vulnerability = over.vulnerability ?? 'CVE-2024-0001';
  const pkg = over.pkg ?? over.package?.name ?? 'openssl';
  const { owner, pkg: _pkg, ...rest } = over;
  return {
    kind: 'vulnerability',
    key: vulnerabilityKey(repository, vulnerability, pkg),
    repository,
    digests: [DIGEST],
    severity: 'High',
    where: {
      hostCount: 3,
      sampleHosts: ['web01.example.org', 'web02.example.org', 'web03.example.org'],
      containers: 7,
    },
    recipient: { address: owner ?? 'alice@example.org', rule: 'label', detail: 'owner' },
    title: `${vulnerability} in ${pkg}`,
    detectedAt: '2026-01-01T00:00:00Z',
    vulnerability,
    package: { name: pkg, version: '3.0.1-1' },
    fixedIn: '3.0.2-1',
    links: [`https://nvd.nist.gov/vuln/detail/${vulnerability}`],
    ...rest,
  };
}

export function policy(over: Partial<PolicyFinding> & { owner?: string } = {}): PolicyFinding {
  const repository = over.repository ?? 'docker.io/library/nginx';
  const rule = over.rule ?? 'unapproved-registry';
  const { owner, ...rest } = over;
  return {
    kind: 'policy',
    key: policyKey(repository, rule),
    repository,
    digests: [DIGEST],
    severity: 'Medium',
    where: { hostCount: 1, sampleHosts: ['db01.example.org'], containers: 1 },
    recipient: { address: owner ?? 'alice@example.org', rule: 'label', detail: 'owner' },
    title: 'Image from an unapproved registry',
    detectedAt: '2026-01-01T00:00:00Z',
    rule,
    detail: 'docker.io is not an approved registry',
    remedy: 'Move the image to harbor.example.org and deploy it from there.',
    ...rest,
  };
}

export function selinux(over: Partial<SelinuxFinding> = {}): SelinuxFinding {
  return {
    kind: 'selinux',
    key: 'selinux|prod/tenant-a|volume-drift',
    repository: 'prod/tenant-a',
    digests: [],
    severity: 'High',
    where: { hostCount: 1, sampleHosts: ['node07'], containers: 2 },
    recipient: { address: 'tenant-a@example.org', rule: 'label', detail: 'owner' },
    title: 'Volume label drift',
    detectedAt: '2026-01-01T00:00:00Z',
    check: 'volume-drift',
    detail: '/srv/nfs/tenant-a has s0:c1,c2, expected s0:c593,c693',
    ...over,
  };
}

/** A FileStateStore in a temp dir that is removed when the calling test finishes, pass or fail. */
export function tempStore(): { store: StateStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'iw-notify-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return { store: new FileStateStore(dir), dir };
}

export async function storeFindings(
  store: StateStore,
  findings: readonly (VulnerabilityFinding | PolicyFinding | SelinuxFinding)[],
): Promise<void> {
  for (const f of findings) {
    const collection =
      f.kind === 'vulnerability'
        ? 'vuln-findings'
        : f.kind === 'policy'
          ? 'policy-findings'
          : 'selinux-findings';
    await store.put(collection, f.key, f);
  }
}

/**
 * A Mailer that records what it accepted; `failWith(n, error)` makes the n-th and later sends
 * (1-based, counted across the mailer's life) fail, `refuse(address)` refuses one recipient.
 */
export class RecordingMailer implements Mailer {
  readonly name = 'recording';
  readonly sent: ComposedMessage[] = [];
  attempts = 0;
  #failFrom: { n: number; error: () => DeliveryError } | undefined;
  readonly #refused = new Set<string>();

  failFrom(n: number, error: () => DeliveryError): void {
    this.#failFrom = { n, error };
  }
  heal(): void {
    this.#failFrom = undefined;
  }
  refuse(address: string): void {
    this.#refused.add(address);
  }

  async send(message: ComposedMessage): Promise<SendReceipt> {
    this.attempts++;
    if (this.#failFrom && this.attempts >= this.#failFrom.n) throw this.#failFrom.error();
    if (this.#refused.has(message.to)) {
      throw new DeliveryError(`550 5.1.1 <${message.to}>: mailbox unavailable`, {
        kind: 'permanent',
        responseCode: 550,
      });
    }
    this.sent.push(message);
    return { response: '250 ok' };
  }
  async close(): Promise<void> {}
}
