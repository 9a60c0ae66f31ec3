// Signed acknowledgement links: an HMAC-SHA256 token carrying the scope, the recipient the
// link was mailed to and the link's expiry. Only the holder of the key can mint one, and the
// signature is compared in constant time.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AckScope } from './Ack.ts';

export const AckTokenPayload = z
  .object({
    v: z.literal(1),
    /** Random id: the recorded ack is keyed by it, so a replayed link is recognised. */
    id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
    scope: AckScope,
    /** The recipient the link was mailed to; becomes the ack's author. */
    to: z.string().min(3),
    /** Link expiry, seconds since the epoch. */
    exp: z.number().int().positive(),
    /** Whether the finding had a fix when the mail was composed. */
    fix: z.boolean().optional(),
  })
  .strict();
export type AckTokenPayload = z.infer<typeof AckTokenPayload>;

export type TokenCheck =
  | { ok: true; payload: AckTokenPayload }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

function mac(key: string | Uint8Array, body: string): Buffer {
  return createHmac('sha256', key).update(`imagewarden-ack.${body}`).digest();
}

export function newTokenId(): string {
  return randomBytes(12).toString('base64url');
}

export function signAckToken(payload: AckTokenPayload, key: string | Uint8Array): string {
  const body = Buffer.from(JSON.stringify(AckTokenPayload.parse(payload))).toString('base64url');
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/** Checks shape, signature (constant time) and expiry, in that order; never throws. */
export function verifyAckToken(token: string, key: string | Uint8Array, now: Date): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1] || token.length > 4096)
    return { ok: false, reason: 'malformed' };
  const [body, signature] = parts as [string, string];
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(key, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad-signature' };
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const payload = AckTokenPayload.safeParse(decoded);
  if (!payload.success) return { ok: false, reason: 'malformed' };
  if (payload.data.exp * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, payload: payload.data };
}
