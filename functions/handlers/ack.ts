// Lambda entry point behind a function URL: the acknowledgement links in the emails. GET
// shows a confirmation page, the page's button POSTs and records the ack (the same handler
// as `imagewarden serve-ack`, adapted by functions/acks/lambdaUrl.ts). The signed token is
// the only credential, so the URL uses authorization NONE.
import './lib/install-source-maps.ts';
import { errorMessage } from '../../core/errors.ts';
import { withRequestMetrics } from '../../core/metrics/emf.ts';
import { withCheckedSecrets } from '../../core/secrets-check.ts';
import { handleAckRequest } from '../acks/handler.ts';
import {
  FunctionUrlEvent,
  type FunctionUrlResult,
  toAckRequest,
  toFunctionUrlResult,
} from '../acks/lambdaUrl.ts';
import { storedRecipientCheck } from '../acks/recipients.ts';
import { expiryPolicy, hmacKeyFromConfig } from '../notify/ackSettings.ts';
import { createRuntime, invocationLogger, type LambdaContext, once, type Runtime } from './lib/runtime.ts';

const TEXT = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };
const PLAIN: Record<number, string> = {
  400: 'bad request\n',
  404: 'not found\n',
  413: 'body too large\n',
  503: 'acknowledgements are not available right now\n',
};
const plain = (statusCode: number): FunctionUrlResult => ({
  statusCode,
  headers: TEXT,
  body: PLAIN[statusCode] ?? '',
});

export interface AckHandlerDeps {
  runtime: () => Promise<Runtime>;
  hmacKey: (runtime: Runtime) => Promise<string | undefined>;
}

export function createAckHandler(deps: AckHandlerDeps) {
  return async (event: unknown, context?: LambdaContext): Promise<FunctionUrlResult> => {
    const runtime = await deps.runtime();
    const { store, clock, config } = runtime;
    const logger = invocationLogger(runtime, context);
    const parsed = FunctionUrlEvent.safeParse(event);
    if (!parsed.success) return plain(400);
    const request = toAckRequest(parsed.data);
    if ('status' in request) return plain(request.status);
    let hmacKey: string | undefined;
    try {
      hmacKey = await deps.hmacKey(runtime);
    } catch (error) {
      logger.error({ err: errorMessage(error) }, 'ack signing key unavailable');
    }
    if (!hmacKey) return plain(503);
    const response = await handleAckRequest(request, {
      store,
      hmacKey,
      clock,
      policy: expiryPolicy(config),
      isRecipient: storedRecipientCheck(store, config.owners.securityContact),
      logger,
    });
    const result = toFunctionUrlResult(response);
    return request.method.toUpperCase() === 'HEAD' ? { ...result, body: '' } : result;
  };
}

const runtime = once(() => withCheckedSecrets('ack', createRuntime(process.env, 'ack')));
const hmacKey = once(async () => {
  const rt = await runtime();
  return hmacKeyFromConfig(rt.config, rt.secrets);
});

export const handler = withRequestMetrics(
  createAckHandler({ runtime, hmacKey: () => hmacKey() }),
  process.env.AWS_LAMBDA_FUNCTION_NAME,
);
