// Lambda entry point, started by EventBridge Scheduler: build the in-use inventory, run the
// policy checks, store both, retire findings of images no longer running, process the Clair
// notifications the webhook recorded (marking affected in-use images, whose reports the scan
// then reads again), then put one SQS message per unique in-use digest on the scan queue
// (the scan-worker function takes them).
import { SQSClient } from '@aws-sdk/client-sqs';
import { enqueueMessages, type SqsSender } from '../../core/aws/sqsEnqueue.ts';
import { errorMessage, UpstreamError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { emitRunMetrics } from '../../core/metrics/emf.ts';
import { defaultSleep } from '../../core/retry.ts';
import { withCheckedSecrets } from '../../core/secrets-check.ts';
import { buildInventory } from '../inventory/buildInventory.ts';
import { type InventorySetup, inventoryFromConfig } from '../inventory/fromConfig.ts';
import { saveInventory } from '../inventory/inventoryStore.ts';
import { checkPolicy } from '../policy/checkPolicy.ts';
import { savePolicyFindings } from '../policy/policyStore.ts';
import { clairPsk, clairScannerFromConfig } from '../scan/fromConfig.ts';
import type { Scanner } from '../scan/Scanner.ts';
import { scanQueueUrl } from './lib/environment.ts';
import { ScheduleEvent } from './lib/events.ts';
import { type PendingResult, processPendingNotifications } from './lib/pendingNotifications.ts';
import { withRegistryCredentials } from './lib/registryCredentials.ts';
import { retireUnusedFindings } from './lib/repositoryFindings.ts';
import { createRuntime, invocationLogger, type LambdaContext, once, type Runtime } from './lib/runtime.ts';
import type { ScanMessage } from './lib/scanMessage.ts';

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
    const inventory = await buildInventory(setup.ports, setup.options);
    const policy = checkPolicy(inventory.snapshot, config.policy, clock);
    await saveInventory(store, inventory.snapshot);
    const saved = await savePolicyFindings(store, policy.findings);
    // With shards missing the snapshot may lack images that still run: keep their findings.
    const findingsRetired = inventory.partialShards
      ? 0
      : await retireUnusedFindings(store, inventory.snapshot);

    const notifications = await processNotifications(deps, runtime, logger);

    const targets = new Map<string, ScanMessage>();
    for (const item of inventory.snapshot.items) {
      if (item.digest && !targets.has(item.digest)) {
        targets.set(item.digest, { v: 1, digest: item.digest, repository: item.repository });
      }
    }
    const messages = [...targets.values()];
    const queue = deps.queue(runtime);
    const enqueued = await enqueueMessages(messages, (m) => m, {
      client: queue.client,
      queueUrl: queue.queueUrl,
    });
    for (const failure of enqueued.failed.slice(0, 10)) {
      logger.warn({ digest: failure.item.digest, reason: failure.reason }, 'scan message not enqueued');
    }

    const summary: InventoryRunSummary = {
      job,
      images: inventory.counts.items,
      digests: messages.length,
      enqueued: enqueued.sent,
      enqueueFailed: enqueued.failed.length,
      unresolved: inventory.counts.unresolved,
      invalid: inventory.counts.invalid,
      skippedDocuments: inventory.counts.skippedDocuments,
      partialShards: inventory.partialShards !== undefined,
      policy: { findings: policy.findings.length, cleared: saved.cleared },
      findingsRetired,
      notifications,
    };
    const degraded =
      summary.enqueueFailed > 0 || summary.partialShards || summary.invalid > 0 || notifications.failed > 0;
    logger[degraded ? 'warn' : 'info'](summary, 'inventory run finished');
    emitRunMetrics(summary, {
      functionName: runtime.env.AWS_LAMBDA_FUNCTION_NAME,
      succeeded: enqueued.sent > 0 || messages.length === 0,
    });
    if (messages.length > 0 && enqueued.sent === 0) {
      // Nothing reached the queue: no scan happens this cycle. Fail loudly so Lambda retries.
      throw new UpstreamError(
        'sqs',
        `no scan message could be enqueued (${enqueued.failed[0]?.reason ?? 'unknown reason'})`,
      );
    }
    return summary;
  };
}

/** Pending Clair notifications; a Clair problem leaves them pending and does not stop the run. */
async function processNotifications(
  deps: InventoryHandlerDeps,
  runtime: Runtime,
  logger: Logger,
): Promise<PendingResult> {
  const { store, clock, config } = runtime;
  try {
    const clair = await deps.scanner(runtime);
    if (!clair) return { processed: 0, marked: 0, failed: 0 };
    return await processPendingNotifications(
      { scanner: clair.scanner, store, clock, logger, sleep: deps.sleep ?? defaultSleep },
      {
        ...(clair.psk ? { psk: clair.psk } : {}),
        pageSize: config.scan.webhook.pageSize,
        // a notification Clair has no receipt for yet is simply tried again next hour
        deleteAttempts: 2,
        deleteDelayMs: 1000,
      },
    );
  } catch (error) {
    logger.warn({ err: errorMessage(error) }, 'Clair notifications left pending');
    return { processed: 0, marked: 0, failed: 1 };
  }
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
