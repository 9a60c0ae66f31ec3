// The inventory + policy step as one call, for `imagewarden inventory`, `imagewarden run` and
// the scheduled inventory Lambda: build the inventory, check the policy, store both (unless
// told not to, e.g. for an --as-of audit), retire the vulnerability findings of repositories no
// longer running, and say whether the run was degraded. With failed shards the snapshot may
// lack images that still run, so nothing is cleared or retired then: one rule, here, for both
// compositions.
import type { StateStore } from '../../core/state/StateStore.ts';
import {
  buildInventory,
  type InventoryOptions,
  type InventoryPorts,
  type InventoryResult,
} from '../inventory/buildInventory.ts';
import { saveInventory } from '../inventory/inventoryStore.ts';
import { checkPolicy, type PolicyConfig, type PolicyResult } from '../policy/checkPolicy.ts';
import { savePolicyFindings } from '../policy/policyStore.ts';
import { checkRegistryPresence } from '../policy/registryPresence.ts';
import { retireUnusedFindings } from '../scan/repositoryFindings.ts';

export interface InventoryStepResult {
  inventory: InventoryResult;
  policy: PolicyResult;
  /** undefined when nothing was stored. */
  stored:
    | {
        findingsWritten: number;
        /** Policy findings that no longer hold. */
        findingsCleared: number;
        /** Vulnerability findings of repositories no longer running anywhere. */
        findingsRetired: number;
      }
    | undefined;
  /**
   * True when part of the input was unusable: bad documents or image strings, failed shards, or
   * a failed owner directory. Unreachable registries only make ages and registry presence
   * unknown and do not count.
   */
  degraded: boolean;
}

export async function inventoryStep(
  ports: InventoryPorts & { store?: StateStore },
  options: InventoryOptions & { policy: PolicyConfig },
): Promise<InventoryStepResult> {
  const inventory = await buildInventory(ports, options);
  // An audit (asOf) judges ages as of that time, not today.
  const clock = options.asOf ? { now: () => options.asOf as Date } : ports.clock;
  const presence = await checkRegistryPresence(inventory.snapshot.items, ports.metadata, {
    approvedRegistries: options.policy.approvedRegistries,
    concurrency: options.concurrency,
    registriesDown: inventory.registriesDown,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const policy = checkPolicy(inventory.snapshot, options.policy, clock, presence);
  let stored: InventoryStepResult['stored'];
  if (ports.store) {
    const complete = inventory.partialShards === undefined;
    await saveInventory(ports.store, inventory.snapshot);
    const saved = await savePolicyFindings(ports.store, policy.findings, { clearMissing: complete });
    const findingsRetired = complete ? await retireUnusedFindings(ports.store, inventory.snapshot) : 0;
    stored = { findingsWritten: saved.written, findingsCleared: saved.cleared, findingsRetired };
  }
  const c = inventory.counts;
  const degraded =
    c.invalid > 0 ||
    c.skippedDocuments > 0 ||
    inventory.partialShards !== undefined ||
    inventory.problems.length > 0;
  ports.logger?.info(
    {
      items: c.items,
      invalid: c.invalid,
      skippedDocuments: c.skippedDocuments,
      outsideWindow: c.outsideWindow,
      unresolved: c.unresolved,
      findings: policy.findings.length,
      registryUnknown: policy.counts.registryUnknown,
      stored: stored !== undefined,
    },
    'inventory step done',
  );
  return { inventory, policy, stored, degraded };
}
