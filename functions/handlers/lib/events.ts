// The Lambda event shapes the handlers accept, parsed with zod at the boundary: EventBridge
// Scheduler's input (what terraform's schedule target sends), SQS batches, and function URL
// requests (payload format 2.0), with the matching responses.
import { z } from 'zod';

/**
 * The input terraform gives each schedule target: `{ source, job, scheduledTime }`, where
 * EventBridge Scheduler puts the firing's scheduled time (the same in each retry of that
 * firing). A scheduledTime that is not an ISO time (the placeholder itself, a hand-made event)
 * reads as absent.
 */
export const ScheduleEvent = z
  .object({
    source: z.string().optional(),
    job: z.string().optional(),
    scheduledTime: z.iso.datetime().optional().catch(undefined),
  })
  .loose();
export type ScheduleEvent = z.infer<typeof ScheduleEvent>;

export const SqsRecord = z
  .object({
    messageId: z.string().min(1),
    body: z.string(),
    attributes: z.object({ ApproximateReceiveCount: z.string().optional() }).loose().optional(),
    eventSourceARN: z.string().optional(),
  })
  .loose();
export type SqsRecord = z.infer<typeof SqsRecord>;

export const SqsEvent = z.object({ Records: z.array(SqsRecord) }).loose();
export type SqsEvent = z.infer<typeof SqsEvent>;

/** With ReportBatchItemFailures, only the listed messages come back; the rest are deleted. */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export const FunctionUrlEvent = z
  .object({
    rawPath: z.string().default('/'),
    rawQueryString: z.string().default(''),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.string().optional(),
    isBase64Encoded: z.boolean().default(false),
    requestContext: z
      .object({
        http: z
          .object({ method: z.string(), path: z.string().optional(), sourceIp: z.string().optional() })
          .loose(),
        requestId: z.string().optional(),
      })
      .loose(),
  })
  .loose();
export type FunctionUrlEvent = z.infer<typeof FunctionUrlEvent>;

export interface FunctionUrlResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The request body as text (function URLs base64-encode bodies they consider binary). */
export function bodyText(event: FunctionUrlEvent): string {
  if (event.body === undefined) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** Header names lower-cased (function URLs already do; tests and proxies may not). */
export function lowerHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
