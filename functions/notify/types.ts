// The records the notify step keeps: what was sent to whom (collection `notified`) and the
// composed messages waiting for or done with delivery (collection `outbox`).
import { z } from 'zod';
import type { Finding } from '../../core/findings/Finding.ts';
import { Severity } from '../../core/severity.ts';
import { fixedVersion } from '../scan/fixedVersion.ts';

export const NOTIFIED_COLLECTION = 'notified';
export const OUTBOX_COLLECTION = 'outbox';

/** Key of a notified record: `<finding key>|<recipient>`. */
export function notifiedKey(findingKey: string, recipient: string): string {
  return `${findingKey}|${recipient.toLowerCase()}`;
}

export const NotifiedRecord = z.object({
  sentAt: z.iso.datetime(),
  severity: Severity,
  fixable: z.boolean(),
  /** Set when the owner's address bounced and the security contact got it instead. */
  routedTo: z.string().optional(),
});
export type NotifiedRecord = z.infer<typeof NotifiedRecord>;

/** Why a finding is in a message. */
export const Reason = z.enum(['new', 'fixable', 'escalated', 'ack-expired', 'reminder']);
export type Reason = z.infer<typeof Reason>;

export interface PlannedItem {
  finding: Finding;
  reason: Reason;
  previous?: NotifiedRecord;
  /** Whose notified state this item updates when it was moved to another recipient (bad address). */
  routedFrom?: string;
}

export interface RecipientPlan {
  recipient: string;
  items: PlannedItem[];
}

export interface Plan {
  recipients: RecipientPlan[];
  counts: {
    findings: number;
    acknowledged: number;
    unchanged: number;
    /** Already in a pending message from an earlier run. */
    pending: number;
    planned: number;
    byReason: Record<Reason, number>;
  };
}

/** What a sent message changes in the notified state, one entry per finding it carries. */
export const MessageFinding = z.object({
  key: z.string(),
  severity: Severity,
  fixable: z.boolean(),
  /** The recipient the finding was routed to (differs from `to` for a bounce sent to security). */
  recipient: z.string(),
});
export type MessageFinding = z.infer<typeof MessageFinding>;

export const ComposedMessage = z.object({
  /** Outbox key; stable per (recipient, run). */
  id: z.string(),
  /** RFC 5322 Message-ID with angle brackets; stable per (recipient, run). */
  messageId: z.string(),
  kind: z.enum(['digest', 'undeliverable']),
  from: z.string(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  headers: z.record(z.string(), z.string()),
  findings: z.array(MessageFinding),
  createdAt: z.iso.datetime(),
});
export type ComposedMessage = z.infer<typeof ComposedMessage>;

export const OutboxStatus = z.enum(['pending', 'sent', 'failed']);
export type OutboxStatus = z.infer<typeof OutboxStatus>;

export const OutboxRecord = z.object({
  message: ComposedMessage,
  status: OutboxStatus,
  runId: z.string(),
  attempts: z.number().int().nonnegative(),
  lastError: z.string().optional(),
  sentAt: z.iso.datetime().optional(),
  /** Set once the notified state reflects this sent message (repairs a crash in between). */
  notifiedApplied: z.boolean().optional(),
  /** For a failed message: the id of the undeliverable report sent to the security contact. */
  routedAs: z.string().optional(),
});
export type OutboxRecord = z.infer<typeof OutboxRecord>;

export function isFixable(finding: Finding): boolean {
  return finding.kind === 'vulnerability' && fixedVersion(finding.fixedIn) !== undefined;
}
