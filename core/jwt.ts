// HS256 JSON Web Tokens with node:crypto, for Clair's pre-shared-key (PSK) auth: we sign the
// tokens we send to Clair and verify the ones its notifier sends us. Only HS256 is accepted
// on verification, so a token cannot downgrade itself to `alg: none` or another algorithm.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AuthError } from './errors.ts';

export const JwtClaims = z
  .object({
    iss: z.string().optional(),
    sub: z.string().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    exp: z.number().optional(),
    nbf: z.number().optional(),
    iat: z.number().optional(),
  })
  .loose();
export type JwtClaims = z.infer<typeof JwtClaims>;

const JwtHeader = z.object({ alg: z.string(), typ: z.string().optional() }).loose();

/** Thrown when a token is malformed, badly signed, from an unknown issuer or outside its validity. */
export class JwtError extends AuthError {
  override name = 'JwtError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('jwt', message, { status: 401, ...options });
  }
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

function hmac(key: Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Signs claims with HS256. */
export function signHs256(claims: JwtClaims, key: Uint8Array): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  return `${head}.${body}.${hmac(key, `${head}.${body}`).toString('base64url')}`;
}

/** Constant-time comparison of two byte strings of possibly different lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    // compare anyway so the time does not reveal where a prefix stops matching
    timingSafeEqual(Buffer.from(a), Buffer.from(a));
    return false;
  }
  return timingSafeEqual(a, b);
}

export interface VerifyOptions {
  /** Accepted `iss` values; when set, a token without one of them is refused. */
  issuers?: readonly string[];
  /** Allowed clock skew on exp/nbf/iat, seconds (Clair uses about 15). */
  leewaySeconds?: number;
  /** Refuse a token without `exp`: without one, a token once seen (a log, a proxy) is valid forever. */
  requireExp?: boolean;
  now?: () => Date;
}

/** Verifies an HS256 token and returns its claims, or throws JwtError saying why not. */
export function verifyHs256(token: string, key: Uint8Array, options: VerifyOptions = {}): JwtClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('token is not three dot-separated parts');
  const [head, body, signature] = parts as [string, string, string];
  let header: z.infer<typeof JwtHeader>;
  let claims: JwtClaims;
  try {
    header = JwtHeader.parse(JSON.parse(Buffer.from(head, 'base64url').toString('utf8')));
    claims = JwtClaims.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
  } catch (error) {
    throw new JwtError('token header or claims are not valid JSON', { cause: error });
  }
  if (header.alg !== 'HS256') throw new JwtError(`algorithm ${header.alg} is not accepted`);
  if (!constantTimeEqual(Buffer.from(signature, 'base64url'), hmac(key, `${head}.${body}`)))
    throw new JwtError('bad signature');
  if (options.issuers && (claims.iss === undefined || !options.issuers.includes(claims.iss)))
    throw new JwtError(`issuer ${JSON.stringify(claims.iss ?? null)} is not accepted`);
  const now = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const leeway = options.leewaySeconds ?? 15;
  if (options.requireExp && claims.exp === undefined) throw new JwtError('token has no exp');
  if (claims.exp !== undefined && now > claims.exp + leeway) throw new JwtError('token expired');
  if (claims.nbf !== undefined && now + leeway < claims.nbf) throw new JwtError('token not yet valid');
  if (claims.iat !== undefined && now + leeway < claims.iat) throw new JwtError('token issued in the future');
  return claims;
}

/** A short-lived token as Clair's own clients make them: nbf = now-60s, exp = now+60s. */
export function shortLivedToken(issuer: string, key: Uint8Array, now: Date = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  return signHs256({ iss: issuer, iat: t, nbf: t - 60, exp: t + 60 }, key);
}
