// Lambda entry point, started by EventBridge Scheduler: build the in-use inventory, run the
// policy checks, store both, retire findings of images no longer running, process the Clair
// notifications the webhook recorded (marking affected in-use images, whose reports the scan
// then reads again), then put one SQS message per unique in-use digest on the scan queue
// (the scan-worker function takes them).
import './lib/install-source-maps.ts';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SqsSender } from '../../core/aws/sqsEnqueue.ts';
import { emitRunMetrics } from '../../core/metrics/emf.ts';
import { defaultSleep } from '../../core/retry.ts';
import { withCheckedSecrets } from '../../core/secrets-check.ts';
import { dispatchScansStep } from '../cycle/dispatchScansStep.ts';
import { inventoryStep } from '../cycle/inventoryStep.ts';
import { type InventorySetup, inventoryFromConfig } from '../inventory/fromConfig.ts';
import { clairPsk, clairScannerFromConfig } from '../scan/fromConfig.ts';
import type { PendingResult } from '../scan/pendingNotifications.ts';
import type { Scanner } from '../scan/Scanner.ts';
import { scanQueueUrl } from './lib/environment.ts';
import { ScheduleEvent } from './lib/events.ts';
import { withRegistryCredentials } from './lib/registryCredentials.ts';
import { createRuntime, invocationLogger, type LambdaContext, once, type Runtime } from './lib/runtime.ts';

export interface InventoryHandlerDeps {
  runtime: () => Promise<Runtime>;
  /** The inventory step's ports (Elasticsearch or file source, registry, host owners). */
  setup: (runtime: Runtime) => Promise<InventorySetup>;
  queue: (runtime: Runtime) => { client: SqsSender; queueUrl: string };
  /** Clair, to page through recorded notifications; undefined when no Clair is configured. */
  scanner: (runtime: Runtime) => Promise<{ scanner: Scanner; psk?: Uint8Array } | undefined>;
  sleep?: (ms: number) => Promise<void>;
}

export interface InventoryRunSummary {
  job: string;
  images: number;
  digests: number;
  enqueued: number;
  enqueueFailed: number;
  unresolved: number;
  invalid: number;
  skippedDocuments: number;
  partialShards: boolean;
  policy: { findings: number; cleared: number };
  findingsRetired: number;
  notifications: PendingResult;
}

export function createInventoryHandler(deps: InventoryHandlerDeps) {
  return async (event: unknown, context?: LambdaContext): Promise<InventoryRunSummary> => {
    const runtime = await deps.runtime();
    const { config, store, clock } = runtime;
    const logger = invocationLogger(runtime, context);
    const input = ScheduleEvent.safeParse(event ?? {});
    const job = input.success ? (input.data.job ?? 'inventory') : 'inventory';

    // An inventory that cannot be read (Elasticsearch down) throws: the invocation fails,
    // Lambda retries it, and CloudWatch counts the error.
    const setup = await deps.setup(runtime);
    const step = await inventoryStep({ ...setup.ports, store }, { ...setup.options, policy: config.policy });
    const dispatch = await dispatchScansStep(
      {
        store,
        clock,
        logger,
        queue: deps.queue(runtime),
        clair: () => deps.scanner(runtime),
        sleep: deps.sleep ?? defaultSleep,
      },
      step.inventory.snapshot,
      { pageSize: config.scan.webhook.pageSize },
    );

    const { inventory, policy, stored } = step;
    const summary: InventoryRunSummary = {
      job,
      images: inventory.counts.items,
      digests: dispatch.digests,
      enqueued: dispatch.enqueued,
      enqueueFailed: dispatch.enqueueFailed,
      unresolved: inventory.counts.unresolved,
      invalid: inventory.counts.invalid,
      skippedDocuments: inventory.counts.skippedDocuments,
      partialShards: inventory.partialShards !== undefined,
      policy: { findings: policy.findings.length, cleared: stored?.findingsCleared ?? 0 },
      findingsRetired: stored?.findingsRetired ?? 0,
      notifications: dispatch.notifications,
    };
    logger[step.degraded || dispatch.degraded ? 'warn' : 'info'](summary, 'inventory run finished');
    // reaching here means the scans were queued (dispatchScansStep throws when none could be)
    emitRunMetrics(summary, { functionName: runtime.env.AWS_LAMBDA_FUNCTION_NAME, succeeded: true });
    return summary;
  };
}

const runtime = once(async () =>
  withRegistryCredentials(await withCheckedSecrets('inventory', createRuntime(process.env, 'inventory'))),
);
// SDK clients resolve region and credentials lazily, on the first call.
const sqs = new SQSClient({});

export const handler = createInventoryHandler({
  runtime,
  setup: (rt) => inventoryFromConfig(rt.config, { clock: rt.clock, logger: rt.logger, secrets: rt.secrets }),
  queue: (rt) => ({ client: sqs, queueUrl: scanQueueUrl(rt.env) }),
  scanner: async (rt) => {
    if (!rt.config.scan.clair) return undefined;
    const psk = await clairPsk(rt.config, rt.secrets);
    return {
      scanner: await clairScannerFromConfig(rt.config, { secrets: rt.secrets, logger: rt.logger }),
      ...(psk ? { psk } : {}),
    };
  },
});
