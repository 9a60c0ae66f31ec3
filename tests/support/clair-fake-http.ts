// HTTP answers shared by the services of the Clair v4 fake (clair-fake.ts): JSON bodies,
// Clair's `{code, message}` error body, and the PSK check (HS256 JWT with the configured
// issuers and 15 s leeway) Clair applies to every request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyHs256 } from '../../core/jwt.ts';
import type { ClairFakeOptions } from './clair-fake-model.ts';

export const send = (
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void => {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(text);
};

export const error = (res: ServerResponse, status: number, code: string, message: string): void =>
  send(res, status, { code, message });

/** Whether the request carries a JWT Clair would accept (always, without a PSK). */
export const authorized = (req: IncomingMessage, options: ClairFakeOptions): boolean => {
  if (!options.psk) return true;
  const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  try {
    if (!match?.[1]) return false;
    verifyHs256(match[1], options.psk, { issuers: options.issuers ?? ['imagewarden'], leewaySeconds: 15 });
    return true;
  } catch {
    return false;
  }
};
