// Adapts the ack handler to a Lambda function URL (payload format 2.0): the event becomes an
// AckRequest and the AckResponse becomes the function URL's response object. The notify
// deployment wires handleAckRequest's ports (state store, key, clock) in the Lambda handler.
import { z } from 'zod';
import type { AckRequest, AckResponse } from './handler.ts';

export const FunctionUrlEvent = z.object({
  rawPath: z.string().default('/'),
  rawQueryString: z.string().default(''),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().default(false),
  requestContext: z.object({ http: z.object({ method: z.string() }) }),
});
export type FunctionUrlEvent = z.infer<typeof FunctionUrlEvent>;

export interface FunctionUrlResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const MAX_BODY = 16 * 1024;

/** The request for the handler, or the status to answer at once (404 off the ack path, 413 for a large body). */
export function toAckRequest(event: FunctionUrlEvent): AckRequest | { status: 404 | 413 } {
  if (event.rawPath.replace(/\/+$/, '') !== '/ack') return { status: 404 };
  const params = new URLSearchParams(event.rawQueryString);
  const method = event.requestContext.http.method;
  if (method.toUpperCase() === 'POST' && event.body) {
    const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    if (text.length > MAX_BODY) return { status: 413 };
    for (const [key, value] of new URLSearchParams(text)) params.set(key, value);
  }
  return { method, params };
}

export function toFunctionUrlResult(response: AckResponse): FunctionUrlResult {
  return { statusCode: response.status, headers: response.headers, body: response.body };
}
