// Claims on outbox messages and on the notify run, through the state store's leases, so that
// overlapping runs (a Scheduler retry, a manual run beside the cron) never send one message
// twice: a message is claimed before it is handed to the transport and read again under the
// claim (another run may have sent it meanwhile); a run that died mid-send holds its claim
// only until the lease ends (the file store hands it over as soon as the process is gone).
import type { Lease } from '../../core/state/lease.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { OUTBOX_COLLECTION, OutboxRecord } from './types.ts';

/** Long enough for one send with the SMTP socket timeout and a slow SES call. */
export const CLAIM_TTL_MS = 10 * 60_000;
/** The run lease is renewed every third of this while the run lasts; a crashed run blocks the next this long at most. */
export const RUN_LEASE_TTL_MS = 3 * 60_000;
export const RUN_LEASE = 'notify-run';

export const claimName = (messageId: string): string => `outbox/${messageId}`;

export type Claim =
  | { kind: 'claimed'; record: OutboxRecord; lease: Lease }
  /** Another run holds the claim: it is sending this message now. */
  | { kind: 'busy' }
  /** Sent, failed or gone since the caller listed it. */
  | { kind: 'settled' };

export async function claimMessage(
  store: StateStore,
  record: OutboxRecord,
  holder: string,
  ttlMs = CLAIM_TTL_MS,
): Promise<Claim> {
  const lease = await store.acquireLease({ name: claimName(record.message.id), holder, ttlMs });
  if (!lease) return { kind: 'busy' };
  const parsed = OutboxRecord.safeParse(await store.get(OUTBOX_COLLECTION, record.message.id));
  if (!parsed.success || parsed.data.status !== 'pending') {
    await store.releaseLease(lease);
    return { kind: 'settled' };
  }
  return { kind: 'claimed', record: parsed.data, lease };
}
