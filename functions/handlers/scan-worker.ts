// Lambda entry point, fed by the scan queue: one message per in-use digest. Each digest goes
// through scanDigest (the same step the local driver runs), then the findings of its
// repository are rebuilt. Messages whose digest failed, was throttled or has no report yet
// are returned in `batchItemFailures`: SQS delivers only those again (after the visibility
// timeout) and, after maxReceiveCount deliveries, moves them to the dead-letter queue.
import { errorMessage, ValidationError } from '../../core/errors.ts';
import { emitRunMetrics } from '../../core/metrics/emf.ts';
import { withCheckedSecrets } from '../../core/secrets-check.ts';
import type { InventorySnapshot } from '../inventory/InventoryItem.ts';
import { loadInventory } from '../inventory/inventoryStore.ts';
import { scanPortsFromConfig } from '../scan/fromConfig.ts';
import type { ScanStatus } from '../scan/ScanResult.ts';
import { type ScanPorts, scanDigest } from '../scan/scanDigest.ts';
import { type SqsBatchResponse, SqsEvent } from './lib/events.ts';
import { withRegistryCredentials } from './lib/registryCredentials.ts';
import { refreshRepositoryFindings } from './lib/repositoryFindings.ts';
import { createRuntime, invocationLogger, type LambdaContext, once, type Runtime } from './lib/runtime.ts';
import { ScanMessage } from './lib/scanMessage.ts';

export interface ScanWorkerDeps {
  runtime: () => Promise<Runtime>;
  ports: (runtime: Runtime) => Promise<ScanPorts>;
}

/** Statuses worth another delivery: the digest may scan next time. `rejected` is final. */
const RETRY: ReadonlySet<ScanStatus> = new Set(['failed', 'throttled', 'pending']);

export function createScanWorkerHandler(deps: ScanWorkerDeps) {
  return async (event: unknown, context?: LambdaContext): Promise<SqsBatchResponse> => {
    const runtime = await deps.runtime();
    const { store, clock, config } = runtime;
    const logger = invocationLogger(runtime, context);
    const parsed = SqsEvent.safeParse(event);
    // Not an SQS batch at all: nothing can be reported per message.
    if (!parsed.success) {
      throw new ValidationError('scan-worker event', `not an SQS event: ${parsed.error.issues[0]?.message}`);
    }
    const records = parsed.data.Records;
    const failures: string[] = [];
    const counts: Record<ScanStatus | 'invalid' | 'deferred', number> = {
      scanned: 0,
      pending: 0,
      failed: 0,
      rejected: 0,
      throttled: 0,
      invalid: 0,
      deferred: 0,
    };

    let ports: ScanPorts;
    let indexState: string;
    try {
      ports = await deps.ports(runtime);
      // once per batch; Clair unreachable means no digest of this batch can be scanned
      indexState = await ports.scanner.indexState();
    } catch (error) {
      logger.error(
        { err: errorMessage(error), messages: records.length },
        'scanner unavailable; batch returned',
      );
      return { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    let snapshot: InventorySnapshot | undefined;
    try {
      snapshot = await loadInventory(store);
    } catch (error) {
      // a damaged snapshot must not block scanning; findings are rebuilt after the next inventory
      if (!(error instanceof ValidationError)) throw error;
      logger.warn({ err: errorMessage(error) }, 'inventory snapshot unreadable; findings not refreshed');
    }
    // Leave room to store a result: a digest that may need a full index is not started late.
    const reserveMs = config.scan.clair ? Math.min(config.scan.clair.indexTimeout, 300_000) + 10_000 : 30_000;

    for (const record of records) {
      const message = safeJson(record.body);
      const body = ScanMessage.safeParse(message);
      if (!body.success) {
        // kept for a person to look at: it ends in the dead-letter queue
        counts.invalid++;
        failures.push(record.messageId);
        logger.error(
          { messageId: record.messageId, issue: body.error.issues[0]?.message },
          'invalid scan message',
        );
        continue;
      }
      if (context?.getRemainingTimeInMillis && context.getRemainingTimeInMillis() < reserveMs) {
        counts.deferred++;
        failures.push(record.messageId);
        continue;
      }
      const { digest, repository } = body.data;
      try {
        const scan = await scanDigest({ digest, repository }, ports, { indexState });
        const status = scan.result.status;
        counts[status]++;
        if (RETRY.has(status)) failures.push(record.messageId);
        if (snapshot && status !== 'pending')
          await refreshRepositoryFindings(store, snapshot, repository, clock);
      } catch (error) {
        // scanDigest reports digest problems in its result; this is the state store failing
        counts.failed++;
        failures.push(record.messageId);
        logger.error({ digest, err: errorMessage(error) }, 'scanning a digest failed');
      }
    }
    logger[failures.length > 0 ? 'warn' : 'info'](
      { messages: records.length, retried: failures.length, ...counts, inventory: snapshot !== undefined },
      'scan batch finished',
    );
    emitRunMetrics(
      { messages: records.length, retried: failures.length, ...counts },
      { functionName: runtime.env.AWS_LAMBDA_FUNCTION_NAME, succeeded: true },
    );
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const runtime = once(async () =>
  withRegistryCredentials(await withCheckedSecrets('scan-worker', createRuntime(process.env, 'scan-worker'))),
);
const ports = once(async () => {
  const rt = await runtime();
  return scanPortsFromConfig(rt.config, {
    secrets: rt.secrets,
    logger: rt.logger,
    store: rt.store,
    clock: rt.clock,
  });
});

export const handler = createScanWorkerHandler({ runtime, ports: () => ports() });
