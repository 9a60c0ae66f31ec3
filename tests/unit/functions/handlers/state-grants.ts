// The state grants terraform gives each function (terraform/iam.tf local.function_state: the
// collections it may read and write, enforced in AWS with dynamodb:LeadingKeys), applied to a
// handler's StateStore in the handler tests: an access terraform does not grant fails the test
// as AccessDenied would fail the function in AWS. Setup and assertions in the tests use the
// unrestricted store; only the handler gets the restricted one.
import { LEASES_COLLECTION } from '../../../../core/state/collections.ts';
import type { StateStore } from '../../../../core/state/StateStore.ts';
import { loadTfDir, locals, ROOT } from '../../terraform/hcl.ts';

export type FunctionName = 'inventory' | 'scan-worker' | 'notify' | 'ack' | 'clair-webhook';

export interface StateGrant {
  read: ReadonlySet<string>;
  write: ReadonlySet<string>;
  /** False for the functions in local.state_no_delete (their role has no DeleteItem). */
  delete: boolean;
}

let loaded: Promise<Record<string, StateGrant>> | undefined;

/** local.function_state from terraform/iam.tf, parsed once per test file. */
export function stateGrants(): Promise<Record<string, StateGrant>> {
  loaded ??= loadTfDir(ROOT).then((tf) => {
    const raw = locals(tf).function_state as Record<string, { read: string[]; write: string[] }>;
    const noDelete = (locals(tf).state_no_delete ?? []) as string[];
    return Object.fromEntries(
      Object.entries(raw).map(([name, g]) => [
        name,
        { read: new Set(g.read), write: new Set(g.write), delete: !noDelete.includes(name) },
      ]),
    );
  });
  return loaded;
}

/** A StateStore that refuses what `grant` does not allow, naming the function and collection. */
export function grantedStore(inner: StateStore, fn: FunctionName, grant: StateGrant): StateStore {
  const allow = (access: 'read' | 'write', collection: string): void => {
    if (!grant[access].has(collection)) {
      throw new Error(
        `AccessDenied: the ${fn} function has no ${access} grant for the state collection "${collection}" (terraform/iam.tf local.function_state)`,
      );
    }
  };
  return {
    get: async (collection, key) => {
      allow('read', collection);
      return inner.get(collection, key);
    },
    list: async (collection, prefix) => {
      allow('read', collection);
      return inner.list(collection, prefix);
    },
    put: async (collection, key, value) => {
      allow('write', collection);
      return inner.put(collection, key, value);
    },
    putIfAbsent: async (collection, key, value) => {
      allow('write', collection);
      return inner.putIfAbsent(collection, key, value);
    },
    delete: async (collection, key) => {
      allow('write', collection);
      if (!grant.delete)
        throw new Error(
          `AccessDenied: the ${fn} function may not delete state items (terraform/iam.tf local.state_no_delete)`,
        );
      return inner.delete(collection, key);
    },
    // leases are conditional puts and deletes in the `leases` partition
    acquireLease: async (request) => {
      allow('write', LEASES_COLLECTION);
      return inner.acquireLease(request);
    },
    renewLease: async (lease, ttlMs) => {
      allow('write', LEASES_COLLECTION);
      return inner.renewLease(lease, ttlMs);
    },
    releaseLease: async (lease) => {
      allow('write', LEASES_COLLECTION);
      return inner.releaseLease(lease);
    },
  };
}

/** The runtime as the function `fn` sees it in AWS: its store limited to terraform's grants. */
export async function asFunction<R extends { store: StateStore }>(fn: FunctionName, runtime: R): Promise<R> {
  const grant = (await stateGrants())[fn];
  if (!grant) throw new Error(`terraform/iam.tf local.function_state has no entry for ${fn}`);
  return { ...runtime, store: grantedStore(runtime.store, fn, grant) };
}
