// What to send: for each recipient, the findings routed to them that are new to them, newly
// fixable, escalated in severity, or whose acknowledgement ended since the last message; plus
// reminders for still-open findings once the reminder interval has passed. Nothing changed
// -> nothing planned.

import type { Finding } from '../../core/findings/Finding.ts';
import { SEVERITY_RANK } from '../../core/severity.ts';
import type { Ack } from '../acks/Ack.ts';
import { activeAckMatcher, lastAckEnd } from '../acks/matcher.ts';
import {
  isFixable,
  type NotifiedRecord,
  notifiedKey,
  type Plan,
  type PlannedItem,
  type Reason,
} from './types.ts';

export interface PlanOptions {
  now: Date;
  reminderIntervalMs: number;
  /** Receives SELinux findings (and undeliverable reports). */
  securityContact: string;
  /** `notifiedKey`s already carried by a pending message: planned again they would be sent twice. */
  pendingKeys?: ReadonlySet<string>;
}

/** Who is told about a finding: its resolved owner, except SELinux findings (security contact). */
export function recipientOf(finding: Finding, securityContact: string): string {
  return (finding.kind === 'selinux' ? securityContact : finding.recipient.address).toLowerCase();
}

function reasonFor(
  finding: Finding,
  previous: NotifiedRecord | undefined,
  acks: readonly Ack[],
  options: PlanOptions,
): Reason | undefined {
  if (!previous) return 'new';
  if (isFixable(finding) && !previous.fixable) return 'fixable';
  if (SEVERITY_RANK[finding.severity] > SEVERITY_RANK[previous.severity]) return 'escalated';
  const ackEnded = acks.length > 0 ? lastAckEnd(acks, finding, options.now) : undefined;
  if (ackEnded !== undefined && ackEnded.getTime() > Date.parse(previous.sentAt)) return 'ack-expired';
  if (options.now.getTime() - Date.parse(previous.sentAt) >= options.reminderIntervalMs) return 'reminder';
  return undefined;
}

const REASON_ORDER: Record<Reason, number> = {
  new: 0,
  fixable: 1,
  escalated: 2,
  'ack-expired': 3,
  reminder: 4,
};

export function planNotifications(
  findings: readonly Finding[],
  notified: ReadonlyMap<string, NotifiedRecord>,
  acks: readonly Ack[],
  options: PlanOptions,
): Plan {
  const isAcked = activeAckMatcher(acks, options.now);
  const byRecipient = new Map<string, PlannedItem[]>();
  const counts: Plan['counts'] = {
    findings: findings.length,
    acknowledged: 0,
    unchanged: 0,
    pending: 0,
    planned: 0,
    byReason: { new: 0, fixable: 0, escalated: 0, 'ack-expired': 0, reminder: 0 },
  };
  const seen = new Set<string>();
  for (const finding of findings) {
    const recipient = recipientOf(finding, options.securityContact);
    const key = notifiedKey(finding.key, recipient);
    // the same finding can be stored twice (two digests of one repository): tell once
    if (seen.has(key)) continue;
    seen.add(key);
    if (isAcked(finding)) {
      counts.acknowledged++;
      continue;
    }
    if (options.pendingKeys?.has(key)) {
      counts.pending++;
      continue;
    }
    const previous = notified.get(key);
    const reason = reasonFor(finding, previous, acks, options);
    if (!reason) {
      counts.unchanged++;
      continue;
    }
    counts.planned++;
    counts.byReason[reason]++;
    const items = byRecipient.get(recipient) ?? [];
    items.push(previous ? { finding, reason, previous } : { finding, reason });
    byRecipient.set(recipient, items);
  }
  const recipients = [...byRecipient.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([recipient, items]) => ({
      recipient,
      items: items.sort(
        (a, b) =>
          REASON_ORDER[a.reason] - REASON_ORDER[b.reason] ||
          SEVERITY_RANK[b.finding.severity] - SEVERITY_RANK[a.finding.severity] ||
          a.finding.key.localeCompare(b.finding.key),
      ),
    }));
  return { recipients, counts };
}
