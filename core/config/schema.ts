// The one config model. Every default lives in the section schemas; README's config
// reference is generated from this (scripts/config-reference.ts) and checked by a test.
import { z } from 'zod';
import { LogSection, RegistrySection, StateSection } from './sections/core.ts';
import { InventorySection } from './sections/inventory.ts';
import { NotifySection } from './sections/notify.ts';
import { OwnersSection } from './sections/owners.ts';
import { PolicySection } from './sections/policy.ts';
import { RunnerSection } from './sections/runner.ts';
import { ScanSection } from './sections/scan.ts';

export const Config = z
  .object({
    log: LogSection.prefault({}),
    state: StateSection.prefault({}),
    registry: RegistrySection.prefault({}),
    inventory: InventorySection.prefault({}),
    owners: OwnersSection.prefault({}),
    policy: PolicySection.prefault({}),
    scan: ScanSection.prefault({}),
    notify: NotifySection.prefault({}),
    runner: RunnerSection.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof Config>;
/** The shape accepted from files and the environment, before defaults. */
export type ConfigInput = z.input<typeof Config>;
