// "Is this finding acknowledged right now?" Used by the scan step's alert filter and by the
// notify step. Expired and revoked acks do not match, and an ack made while a vulnerability
// had no fix stops matching once a fix exists, so the owner hears about the fix.
import type { Finding } from '../../core/findings/Finding.ts';
import type { Ack, AckScope } from './Ack.ts';

/** Whether an ack's scope covers a finding, ignoring expiry, revocation and fixes. */
export function scopeCovers(scope: AckScope, finding: Finding): boolean {
  if (scope.repository !== undefined && scope.repository !== finding.repository) return false;
  if (scope.digest !== undefined && !finding.digests.includes(scope.digest)) return false;
  switch (finding.kind) {
    case 'vulnerability':
      return (
        scope.vulnerability === finding.vulnerability &&
        (scope.package === undefined || scope.package === finding.package.name)
      );
    case 'policy':
      return scope.rule === finding.rule;
    default:
      // SELinux findings go to the security contact and are not acknowledged by owners.
      return false;
  }
}

/** When an ack stops (or stopped) silencing a finding; undefined while it still does. */
export function ackEndsAt(ack: Ack, now: Date): Date | undefined {
  const ends: number[] = [];
  if (ack.revokedAt !== undefined) ends.push(Date.parse(ack.revokedAt));
  if (Date.parse(ack.expiresAt) <= now.getTime()) ends.push(Date.parse(ack.expiresAt));
  if (ends.length === 0) return undefined;
  return new Date(Math.min(...ends));
}

function fixInvalidates(ack: Ack, finding: Finding): boolean {
  return finding.kind === 'vulnerability' && ack.fixAvailable === false && finding.fixedIn !== undefined;
}

export function isActive(ack: Ack, finding: Finding, now: Date): boolean {
  return (
    ack.revokedAt === undefined &&
    Date.parse(ack.expiresAt) > now.getTime() &&
    scopeCovers(ack.scope, finding) &&
    !fixInvalidates(ack, finding)
  );
}

/** Builds the matcher once per run: acks are indexed by vulnerability / rule for large fleets. */
export function activeAckMatcher(acks: readonly Ack[], now: Date): (finding: Finding) => Ack | undefined {
  const byTopic = new Map<string, Ack[]>();
  for (const ack of acks) {
    if (ack.revokedAt !== undefined || Date.parse(ack.expiresAt) <= now.getTime()) continue;
    const topic = ack.scope.vulnerability ?? `rule:${ack.scope.rule}`;
    const list = byTopic.get(topic) ?? [];
    list.push(ack);
    byTopic.set(topic, list);
  }
  return (finding) => {
    const topic =
      finding.kind === 'vulnerability'
        ? finding.vulnerability
        : finding.kind === 'policy'
          ? `rule:${finding.rule}`
          : '';
    return byTopic.get(topic)?.find((ack) => isActive(ack, finding, now));
  };
}

/**
 * The most recent moment an ack covering this finding stopped silencing it (expired or
 * revoked), if any: the notify step alerts again when that happened after the last message.
 */
export function lastAckEnd(acks: readonly Ack[], finding: Finding, now: Date): Date | undefined {
  let latest: Date | undefined;
  for (const ack of acks) {
    if (!scopeCovers(ack.scope, finding)) continue;
    const end = ackEndsAt(ack, now);
    if (end !== undefined && (latest === undefined || end > latest)) latest = end;
  }
  return latest;
}

/**
 * The `(finding, now) => boolean` shape the scan step's alert filter takes
 * (functions/notify/filterForAlerting.ts `AckMatcher`); the index is rebuilt only when `now` changes.
 */
export function ackPredicate(acks: readonly Ack[]): (finding: Finding, now: Date) => boolean {
  let cached: { at: number; match: (finding: Finding) => Ack | undefined } | undefined;
  return (finding, now) => {
    if (cached?.at !== now.getTime()) cached = { at: now.getTime(), match: activeAckMatcher(acks, now) };
    return cached.match(finding) !== undefined;
  };
}
