// The StateStore port: small JSON records grouped in collections (inventory snapshot, scan
// results, notified state, outbox, acknowledgements, runner state). Adapters: a local file
// store (the embedded default) and DynamoDB (in AWS).

export interface StateRecord<T> {
  key: string;
  value: T;
}

export interface StateStore {
  get<T>(collection: string, key: string): Promise<T | undefined>;
  put<T>(collection: string, key: string, value: T): Promise<void>;
  /** Writes only when the key is absent; returns whether it wrote (used to dedupe deliveries). */
  putIfAbsent<T>(collection: string, key: string, value: T): Promise<boolean>;
  delete(collection: string, key: string): Promise<void>;
  /** Every record of a collection whose key starts with `prefix`, in key order. */
  list<T>(collection: string, prefix?: string): Promise<StateRecord<T>[]>;
}

const COLLECTION = /^[a-z][a-z0-9-]{0,62}$/;

/** Collection names become file names and partition keys: keep them boring. */
export function assertCollectionName(collection: string): void {
  if (!COLLECTION.test(collection)) {
    throw new RangeError(`state collection name must match ${COLLECTION}, got ${JSON.stringify(collection)}`);
  }
}
