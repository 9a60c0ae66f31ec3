// Where the inventory snapshot lives between steps: StateStore collection `inventory`, key
// `latest`. Read back through its schema, since the store is outside this process.
import { ValidationError } from '../../core/errors.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { InventorySnapshot } from './InventoryItem.ts';

export const INVENTORY_COLLECTION = 'inventory';
export const LATEST = 'latest';

export async function saveInventory(store: StateStore, snapshot: InventorySnapshot): Promise<void> {
  await store.put(INVENTORY_COLLECTION, LATEST, snapshot);
}

export async function loadInventory(store: StateStore): Promise<InventorySnapshot | undefined> {
  const raw = await store.get<unknown>(INVENTORY_COLLECTION, LATEST);
  if (raw === undefined) return undefined;
  const parsed = InventorySnapshot.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError('state inventory/latest', parsed.error.issues[0]?.message ?? 'bad snapshot', {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
