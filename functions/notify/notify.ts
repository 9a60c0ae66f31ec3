// The notify step, composed from the plain steps: repair, plan, compose, queue, deliver, route
// bounces. Used by `imagewarden notify`, `imagewarden run` and the notify Lambda. A run holds
// the `notify-run` lease from planning to the last send, so two overlapping runs never plan
// (and mail) the same findings; the one that finds the lease held does nothing.
import type { Clock } from '../../core/clock.ts';
import { DAY_MS } from '../../core/clock.ts';
import { EmailAddress } from '../../core/config/common.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Finding } from '../../core/findings/Finding.ts';
import type { Logger } from '../../core/logger.ts';
import type { Severity } from '../../core/severity.ts';
import { keepLease, processHolder } from '../../core/state/lease.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import type { Ack } from '../acks/Ack.ts';
import { listStoredAcks } from '../acks/AckStore.ts';
import { RUN_LEASE, RUN_LEASE_TTL_MS } from './claims.ts';
import { type ComposeOptions, composeMessages } from './compose.ts';
import { deliver, type PermanentFailure } from './deliver.ts';
import { filterForAlerting } from './filterForAlerting.ts';
import { loadOpenFindings } from './loadFindings.ts';
import type { Mailer } from './Mailer.ts';
import { applyNotified, enqueue, listOutbox, loadNotified, pruneOutbox, saveRecord } from './outbox.ts';
import { RateLimiter } from './RateLimiter.ts';
import { planNotifications } from './select.ts';
import { type ComposedMessage, notifiedKey, type OutboxRecord, type Plan } from './types.ts';
import { composeUndeliverable } from './undeliverable.ts';

export interface NotifyPorts {
  store: StateStore;
  mailer: Mailer;
  clock: Clock;
  logger: Logger;
  sleep: (ms: number) => Promise<void>;
  /** Acks from the GitOps file (already validated); stored acks are read from `store`. */
  fileAcks?: readonly Ack[];
  signal?: AbortSignal;
}

export interface NotifyOptions {
  runId: string;
  from: string;
  securityContact: string;
  reminderIntervalMs: number;
  sendRate: number;
  ack?: ComposeOptions['ack'];
  /** Plan and compose only: nothing is queued, sent or recorded. */
  dryRun?: boolean;
  /**
   * The scan step's alerting filter (`scan.minSeverity`, `scan.fixableOnly`) applied to stored
   * vulnerability findings; undefined mails every stored finding. Acks are applied by the planner.
   */
  alertFilter?: { minSeverity: Severity; fixableOnly: boolean };
  /** Messages in flight at once (set to the SMTP pool size); default 1. */
  concurrency?: number;
  /** How long sent and failed outbox records are kept (default 30 days). */
  keepOutboxMs?: number;
  /** Time to live of the run lease, renewed while the run lasts (default 3 minutes). */
  runLeaseTtlMs?: number;
  /** Called as the run's messages are sent, for a progress display. */
  onProgress?: (done: number, total: number) => void;
}

export interface NotifySummary {
  findings: number;
  /** Vulnerability findings the alerting filter kept out (below the minimum severity, no fix yet). */
  filtered: { belowSeverity: number; unfixable: number };
  invalidFindings: number;
  plan: Plan['counts'];
  composed: number;
  /** Messages from earlier runs that were still pending at the start. */
  carriedOver: number;
  sent: number;
  failed: number;
  pending: number;
  /** Pending messages another run had claimed when this one came to them. */
  busy: number;
  /** Set when another notify run held the run lease: this run did nothing. */
  skipped?: 'another-run';
  permanentFailures: { to: string; id: string; error: string; responseCode?: number; routedTo?: string }[];
  repaired: number;
  pruned: number;
  /** The messages composed this run (for `--dry-run` output). */
  messages: ComposedMessage[];
}

function applyAlertFilter(
  findings: readonly Finding[],
  filter: NotifyOptions['alertFilter'],
  now: Date,
): { findings: Finding[]; filtered: NotifySummary['filtered'] } {
  if (!filter) return { findings: [...findings], filtered: { belowSeverity: 0, unfixable: 0 } };
  const vulns = findings.filter((f) => f.kind === 'vulnerability');
  const { alert, suppressed } = filterForAlerting(vulns, { ...filter, now });
  return {
    findings: [...alert, ...findings.filter((f) => f.kind !== 'vulnerability')],
    filtered: { belowSeverity: suppressed.belowSeverity, unfixable: suppressed.unfixable },
  };
}

/** Recipients whose address is not usable get their findings routed to the security contact. */
function rerouteInvalid(plan: Plan, securityContact: string, logger: Logger): Plan {
  const target = securityContact.toLowerCase();
  const keep: Plan['recipients'] = [];
  const moved: Plan['recipients'][number]['items'] = [];
  for (const entry of plan.recipients) {
    if (EmailAddress.safeParse(entry.recipient).success) keep.push(entry);
    else {
      logger.warn(
        { recipient: entry.recipient, findings: entry.items.length },
        'owner address invalid, routing to security contact',
      );
      moved.push(...entry.items.map((item) => ({ ...item, routedFrom: item.routedFrom ?? entry.recipient })));
    }
  }
  if (moved.length === 0) return plan;
  const existing = keep.find((r) => r.recipient === target);
  if (existing) existing.items.push(...moved);
  else keep.push({ recipient: target, items: moved });
  return { ...plan, recipients: keep };
}

export async function notify(ports: NotifyPorts, options: NotifyOptions): Promise<NotifySummary> {
  // a dry run changes nothing, so it needs no lease
  if (options.dryRun) return notifyHoldingRun(ports, options);
  const ttlMs = options.runLeaseTtlMs ?? RUN_LEASE_TTL_MS;
  const holder = processHolder(options.runId);
  const lease = await ports.store.acquireLease({ name: RUN_LEASE, holder, ttlMs });
  if (!lease) {
    ports.logger.warn(
      { runId: options.runId },
      'another notify run holds the run lease; this run does nothing',
    );
    return { ...emptySummary(), skipped: 'another-run' };
  }
  const kept = keepLease(ports.store, lease, ttlMs, (error) =>
    ports.logger.warn({ err: errorMessage(error) }, 'renewing the notify run lease failed; trying again'),
  );
  // losing the lease (the store unreachable past its time) stops sending: another run may start
  const signal = ports.signal ? AbortSignal.any([ports.signal, kept.lost]) : kept.lost;
  try {
    return await notifyHoldingRun({ ...ports, signal }, options, holder);
  } finally {
    await kept.release();
  }
}

function emptySummary(): NotifySummary {
  return {
    findings: 0,
    filtered: { belowSeverity: 0, unfixable: 0 },
    invalidFindings: 0,
    plan: {
      findings: 0,
      acknowledged: 0,
      unchanged: 0,
      pending: 0,
      planned: 0,
      byReason: { new: 0, fixable: 0, escalated: 0, 'ack-expired': 0, reminder: 0 },
    },
    composed: 0,
    carriedOver: 0,
    sent: 0,
    failed: 0,
    pending: 0,
    busy: 0,
    permanentFailures: [],
    repaired: 0,
    pruned: 0,
    messages: [],
  };
}

async function notifyHoldingRun(
  ports: NotifyPorts,
  options: NotifyOptions,
  holder?: string,
): Promise<NotifySummary> {
  const { store, logger, clock } = ports;
  const now = clock.now();
  const outbox = await listOutbox(store, logger);

  // 1. repair: a message marked sent whose notified state was not written (crash in between)
  let repaired = 0;
  if (!options.dryRun) {
    for (const record of outbox.filter((r) => r.status === 'sent' && !r.notifiedApplied)) {
      await applyNotified(
        store,
        record,
        record.message.kind === 'undeliverable' ? record.message.to : undefined,
      );
      repaired++;
    }
  }
  const carried = outbox.filter((r) => r.status === 'pending');
  const pendingKeys = new Set(
    carried.flatMap((r) => r.message.findings.map((f) => notifiedKey(f.key, f.recipient))),
  );

  // 2. plan and compose
  const loaded = await loadOpenFindings(store, logger);
  const { findings, filtered } = applyAlertFilter(loaded.findings, options.alertFilter, now);
  const invalid = loaded.invalid;
  const stored = await listStoredAcks(store, logger);
  const acks = [...(ports.fileAcks ?? []), ...stored.acks];
  const notified = await loadNotified(store, logger);
  let plan = planNotifications(findings, notified, acks, {
    now,
    reminderIntervalMs: options.reminderIntervalMs,
    securityContact: options.securityContact,
    pendingKeys,
  });
  plan = rerouteInvalid(plan, options.securityContact, logger);
  const composed = composeMessages(plan, {
    from: options.from,
    runId: options.runId,
    now,
    ...(options.ack ? { ack: options.ack } : {}),
  });
  for (const bad of composed.invalid) {
    logger.error({ recipient: bad.recipient, error: errorMessage(bad.error) }, 'could not compose a message');
  }
  const summary: NotifySummary = {
    findings: loaded.findings.length,
    filtered,
    invalidFindings: invalid,
    plan: plan.counts,
    composed: composed.messages.length,
    carriedOver: carried.length,
    sent: 0,
    failed: composed.invalid.length,
    pending: 0,
    busy: 0,
    permanentFailures: [],
    repaired,
    pruned: 0,
    messages: composed.messages,
  };
  if (options.dryRun) return summary;

  // 3. queue everything before sending anything, then deliver (older messages first)
  const { queued } = await enqueue(store, composed.messages, options.runId);
  const limiter = new RateLimiter({ perSecond: options.sendRate, clock, sleep: ports.sleep });
  const deliverOptions = {
    limiter,
    clock,
    logger,
    concurrency: options.concurrency ?? 1,
    ...(ports.signal ? { signal: ports.signal } : {}),
    ...(holder ? { holder } : {}),
  };
  const first = await deliver([...carried, ...queued], ports.mailer, store, {
    ...deliverOptions,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  summary.sent += first.sent;
  summary.failed += first.failed;
  summary.pending += first.pending;
  summary.busy += first.busy;

  // 4. route refused digests to the security contact
  const routed = await routeFailures(first.permanentFailures, ports, options, limiter, holder);
  summary.sent += routed.sent;
  summary.pending += routed.pending;
  summary.permanentFailures = routed.reports;

  summary.pruned = await pruneOutbox(store, outbox, now, options.keepOutboxMs ?? 30 * DAY_MS);
  return summary;
}

async function routeFailures(
  failures: readonly PermanentFailure[],
  ports: NotifyPorts,
  options: NotifyOptions,
  limiter: RateLimiter,
  holder?: string,
): Promise<{ sent: number; pending: number; reports: NotifySummary['permanentFailures'] }> {
  const reports: NotifySummary['permanentFailures'] = [];
  const contact = options.securityContact.toLowerCase();
  const queue: OutboxRecord[] = [];
  for (const failure of failures) {
    const { message } = failure.record;
    const report = {
      to: message.to,
      id: message.id,
      error: failure.error,
      ...(failure.responseCode !== undefined ? { responseCode: failure.responseCode } : {}),
    };
    if (message.to.toLowerCase() === contact || message.kind === 'undeliverable') {
      ports.logger.error(report, 'the security contact refused a message; nobody else to route it to');
      reports.push(report);
      continue;
    }
    const bounce = composeUndeliverable(message, failure.error, {
      securityContact: contact,
      from: options.from,
      runId: options.runId,
      now: ports.clock.now(),
    });
    const { queued } = await enqueue(ports.store, [bounce], options.runId);
    queue.push(...queued);
    await saveRecord(ports.store, { ...failure.record, routedAs: bounce.id });
    reports.push({ ...report, routedTo: contact });
  }
  if (queue.length === 0) return { sent: 0, pending: 0, reports };
  const result = await deliver(queue, ports.mailer, ports.store, {
    limiter,
    clock: ports.clock,
    logger: ports.logger,
    ...(holder ? { holder } : {}),
  });
  return { sent: result.sent, pending: result.pending, reports };
}
