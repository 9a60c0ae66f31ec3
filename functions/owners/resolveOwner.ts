// The owner resolution chain, first match wins, and the rule that chose is recorded:
//   1. label: the first configured label key (either form, see labelKeys.ts) whose value
//      holds exactly one valid address;
//   2. host-owner: the owner of a host the image runs on (static map, then Nivlheim);
//   3. security-contact: the configured last resort.
import type { ResolvedOwner } from '../../core/findings/ResolvedOwner.ts';
import { extractEmail } from './email.ts';
import type { HostOwner } from './HostOwnerDirectory.ts';

export interface OwnerCandidate {
  key: string;
  value: string;
}

export interface RejectedCandidate extends OwnerCandidate {
  reason: string;
}

/** The first label candidate holding a valid address, plus the ones rejected before it. */
export function ownerFromLabels(candidates: readonly OwnerCandidate[]): {
  owner?: ResolvedOwner;
  rejected: RejectedCandidate[];
} {
  const rejected: RejectedCandidate[] = [];
  for (const candidate of candidates) {
    const result = extractEmail(candidate.value);
    if (result.ok)
      return { owner: { address: result.address, rule: 'label', detail: candidate.key }, rejected };
    rejected.push({ ...candidate, reason: result.reason });
  }
  return { rejected };
}

/** The owner of the first host (in the given order, most reports first) that has one. */
export function ownerFromHosts(
  hosts: readonly string[],
  owners: ReadonlyMap<string, HostOwner>,
): ResolvedOwner | undefined {
  for (const host of hosts) {
    const owner = owners.get(host);
    if (owner) return { address: owner.address, rule: 'host-owner', detail: `${host} (${owner.detail})` };
  }
  return undefined;
}

export function resolveOwner(
  candidates: readonly OwnerCandidate[],
  hostOwner: ResolvedOwner | undefined,
  securityContact: string,
): { owner: ResolvedOwner; rejected: RejectedCandidate[] } {
  const fromLabels = ownerFromLabels(candidates);
  const owner = fromLabels.owner ??
    hostOwner ?? {
      address: securityContact,
      rule: 'security-contact' as const,
      detail: 'owners.securityContact',
    };
  return { owner, rejected: fromLabels.rejected };
}
