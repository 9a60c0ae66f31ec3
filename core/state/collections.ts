// The one registry of state collections: every collection either half keeps, with the form of
// its keys and how long DynamoDB keeps its records. The stores take their time-to-live from
// here, the Lambda runtime passes nothing of its own, and the IAM test checks the terraform
// grants against these names. The value schemas stay with the code that owns each record
// (functions/…); a collection's `key` schema is what the store itself can check.
import { z } from 'zod';
import { DAY_MS } from '../clock.ts';

export interface CollectionSpec {
  name: string;
  /** What a record is, for people reading the table. */
  what: string;
  /** The form of the record keys. */
  key: z.ZodType<string>;
  /** DynamoDB deletes records this old (its TTL); undefined: the owner prunes them itself. */
  ttlMs?: number;
}

// Keys are checked only for what every store needs (tests and fixtures use short fake digests).
const Text = z.string().min(1).max(1024);
const Digest = Text.describe('a manifest digest');

export const LEASES_COLLECTION = 'leases';

export const COLLECTIONS = [
  { name: 'inventory', what: 'the in-use image inventory snapshot', key: Text },
  { name: 'policy-findings', what: 'policy findings by finding key', key: Text },
  { name: 'scan-results', what: "Clair's report summary per manifest digest", key: Digest },
  { name: 'vuln-findings', what: 'vulnerability findings by finding key', key: Text },
  { name: 'selinux-findings', what: 'SELinux findings imported from the runners', key: Text },
  { name: 'renotify', what: 'in-use manifests Clair says changed', key: Digest },
  {
    name: 'clair-notifications',
    what: 'Clair notification ids seen, to drop duplicate deliveries',
    key: Text,
    ttlMs: 30 * DAY_MS,
  },
  {
    name: 'clair-webhook-pending',
    what: 'notifications received by the webhook function, not yet processed',
    key: Text,
    // Clair gave up on an unprocessed notification long before this
    ttlMs: 30 * DAY_MS,
  },
  { name: 'outbox', what: 'composed messages and their delivery state', key: Text },
  { name: 'notified', what: 'what was sent to whom (finding key | recipient)', key: Text },
  { name: 'acks', what: 'acknowledgements recorded through links', key: Text },
  {
    name: LEASES_COLLECTION,
    what: 'leases: the notify run, outbox message claims, per-repository findings rebuilds',
    key: Text,
  },
] as const satisfies readonly CollectionSpec[];

export type CollectionName = (typeof COLLECTIONS)[number]['name'];

export const COLLECTION_NAMES: readonly CollectionName[] = COLLECTIONS.map((c) => c.name);

/** Time to live per collection, for the collections that have one. */
export const COLLECTION_TTL_MS: Readonly<Record<string, number>> = Object.fromEntries(
  COLLECTIONS.flatMap((c) => ('ttlMs' in c ? [[c.name, c.ttlMs]] : [])),
);

export function collectionSpec(name: string): CollectionSpec | undefined {
  return COLLECTIONS.find((c) => c.name === name);
}

/** Refuses a key a registered collection does not take (unregistered names are the caller's). */
export function assertRecordKey(collection: string, key: string): void {
  const spec = collectionSpec(collection);
  if (spec && !spec.key.safeParse(key).success) {
    throw new RangeError(
      `state ${collection}: ${JSON.stringify(key.slice(0, 200))} is not a key of this collection`,
    );
  }
}
