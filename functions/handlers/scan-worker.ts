// Lambda entry point, fed by the scan queue: one message per in-use digest. The batch goes
// through scanBatchStep (scanDigest, the same as the local driver runs, then the findings of
// each digest's repository are rebuilt). Messages whose digest failed, was throttled or has no report yet
// are returned in `batchItemFailures`: SQS delivers only those again (after the visibility
// timeout) and, after maxReceiveCount deliveries, moves them to the dead-letter queue.
import './lib/install-source-maps.ts';
import { ValidationError } from '../../core/errors.ts';
import { emitRunMetrics } from '../../core/metrics/emf.ts';
import { withCheckedSecrets } from '../../core/secrets-check.ts';
import { scanBatchStep } from '../cycle/scanStep.ts';
import { scanPortsFromConfig } from '../scan/fromConfig.ts';
import { ScanMessage } from '../scan/ScanMessage.ts';
import type { ScanPorts } from '../scan/scanDigest.ts';
import { type SqsBatchResponse, SqsEvent } from './lib/events.ts';
import { withRegistryCredentials } from './lib/registryCredentials.ts';
import { createRuntime, invocationLogger, type LambdaContext, once, type Runtime } from './lib/runtime.ts';

export interface ScanWorkerDeps {
  runtime: () => Promise<Runtime>;
  ports: (runtime: Runtime) => Promise<ScanPorts>;
}

export function createScanWorkerHandler(deps: ScanWorkerDeps) {
  return async (event: unknown, context?: LambdaContext): Promise<SqsBatchResponse> => {
    const runtime = await deps.runtime();
    const { config } = runtime;
    const logger = invocationLogger(runtime, context);
    const parsed = SqsEvent.safeParse(event);
    // Not an SQS batch at all: nothing can be reported per message.
    if (!parsed.success) {
      throw new ValidationError('scan-worker event', `not an SQS event: ${parsed.error.issues[0]?.message}`);
    }
    const records = parsed.data.Records;
    const invalid: string[] = [];
    const items: { id: string; target: ScanMessage }[] = [];
    for (const record of records) {
      const body = ScanMessage.safeParse(safeJson(record.body));
      if (body.success) items.push({ id: record.messageId, target: body.data });
      else {
        // kept for a person to look at: it ends in the dead-letter queue
        invalid.push(record.messageId);
        logger.error(
          { messageId: record.messageId, issue: body.error.issues[0]?.message },
          'invalid scan message',
        );
      }
    }
    const batch = await scanBatchStep(() => deps.ports(runtime), items, {
      ...(context?.getRemainingTimeInMillis
        ? { remainingMs: () => context.getRemainingTimeInMillis?.() }
        : {}),
      // Leave room to store a result: a digest that may need a full index is not started late.
      reserveMs: config.scan.clair ? Math.min(config.scan.clair.indexTimeout, 300_000) + 10_000 : 30_000,
      logger,
      ...(context?.awsRequestId ? { requestId: context.awsRequestId } : {}),
    });
    const failures = [...invalid, ...batch.retry];
    logger[failures.length > 0 ? 'warn' : 'info'](
      {
        messages: records.length,
        retried: failures.length,
        ...batch.counts,
        invalid: invalid.length,
        inventory: batch.inventory,
      },
      'scan batch finished',
    );
    emitRunMetrics(
      { messages: records.length, retried: failures.length, ...batch.counts },
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
