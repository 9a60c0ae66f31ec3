// The ack handler behind the links in emails (a Lambda function URL in AWS, `imagewarden
// serve-ack` locally). GET only shows a confirmation page: mail scanners and link previewers
// fetch every GET in a message, so a GET that recorded would acknowledge findings nobody read.
// POST (the page's button) records. The token is the only credential: it is signed, bound to
// the recipient it was mailed to, and expires; a link whose ack was revoked is refused.

import type { Clock } from '../../core/clock.ts';
import { DAY_MS } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { oneLine } from '../notify/escape.ts';
import { Ack, type AckScope, describeScope, type ExpiryPolicy } from './Ack.ts';
import { getStoredAck, linkAckId, recordAck } from './AckStore.ts';
import { confirmPage, recordedPage, refusedPage } from './page.ts';
import { type AckTokenPayload, verifyAckToken } from './token.ts';

export interface AckRequest {
  method: string;
  /** Query string parameters (GET) merged with the urlencoded form (POST). */
  params: URLSearchParams;
}

export interface AckResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface AckHandlerPorts {
  store: StateStore;
  hmacKey: string | Uint8Array;
  clock: Clock;
  policy: ExpiryPolicy;
  /** Whether `address` is (still) a recipient of findings in this scope; refuses forwarded or stale links. */
  isRecipient: (scope: AckScope, address: string) => Promise<boolean>;
  logger: Logger;
}

const HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // the token is in the URL: never hand it to another site
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
};

function respond(status: number, body: string): AckResponse {
  return { status, headers: { ...HEADERS }, body };
}

const REFUSALS = {
  missing: [
    'No acknowledgement token',
    'The link has no token. Open the link exactly as it appears in the email.',
  ],
  malformed: [
    'Link not valid',
    'The link is damaged or incomplete. Open the link exactly as it appears in the email.',
  ],
  'bad-signature': ['Link not valid', 'The link was not issued by imagewarden or has been altered.'],
  expired: ['Link expired', 'This acknowledgement link has expired. Use the link in a more recent email.'],
  'wrong-recipient': [
    'Not your finding',
    'This link was sent to someone who is no longer a recipient of this finding, so it cannot acknowledge it.',
  ],
  revoked: [
    'Acknowledgement revoked',
    'An acknowledgement made with this link was revoked; the link cannot be reused.',
  ],
  method: ['Method not allowed', 'Open the link from the email (GET) and confirm with the button (POST).'],
} as const;

type Refusal = keyof typeof REFUSALS;

function refuse(reason: Refusal, status = 400): AckResponse {
  const [title, text] = REFUSALS[reason];
  return respond(status, refusedPage(title, text));
}

async function check(
  token: string | null,
  ports: AckHandlerPorts,
): Promise<{ payload: AckTokenPayload; existing: Ack | undefined } | Refusal> {
  if (!token) return 'missing';
  const verdict = verifyAckToken(token, ports.hmacKey, ports.clock.now());
  if (!verdict.ok) return verdict.reason;
  const existing = await getStoredAck(ports.store, linkAckId(verdict.payload.id));
  if (existing?.revokedAt !== undefined) return 'revoked';
  if (!(await ports.isRecipient(verdict.payload.scope, verdict.payload.to))) return 'wrong-recipient';
  return { payload: verdict.payload, existing };
}

export async function handleAckRequest(request: AckRequest, ports: AckHandlerPorts): Promise<AckResponse> {
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST' && method !== 'HEAD') {
    return { ...refuse('method', 405), headers: { ...HEADERS, allow: 'GET, POST' } };
  }
  let result: Awaited<ReturnType<typeof check>>;
  try {
    result = await check(request.params.get('t'), ports);
  } catch (error) {
    ports.logger.error({ err: error }, 'ack check failed');
    return respond(503, refusedPage('Try again later', 'imagewarden could not check this link right now.'));
  }
  if (typeof result === 'string') {
    ports.logger.info({ reason: result, method }, 'ack link refused');
    return refuse(result, result === 'wrong-recipient' ? 403 : 400);
  }
  const { payload, existing } = result;
  const scope = describeScope(payload.scope);
  if (existing) return respond(200, recordedPage(scope, existing.expiresAt, existing.id, true));
  if (method !== 'POST') {
    return respond(
      200,
      confirmPage({
        scope,
        recipient: payload.to,
        token: request.params.get('t') ?? '',
        defaultDays: ports.policy.defaultDays,
        maxDays: ports.policy.maxDays,
        fixNote: payload.fix === false ? ', or until a fix is released' : '',
      }),
    );
  }
  const now = ports.clock.now();
  const days = Number(request.params.get('days') ?? ports.policy.defaultDays);
  if (!Number.isInteger(days) || days < 1 || days > ports.policy.maxDays) {
    return respond(
      400,
      refusedPage(
        'Expiry not allowed',
        `Choose between 1 and ${ports.policy.maxDays} days. Nothing was recorded.`,
      ),
    );
  }
  const reason =
    oneLine(request.params.get('reason') ?? '', 500) || 'Acknowledged from the imagewarden email';
  const ack = Ack.parse({
    id: linkAckId(payload.id),
    scope: payload.scope,
    reason,
    author: payload.to,
    source: 'link',
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + days * DAY_MS).toISOString(),
    fixAvailable: payload.fix,
    tokenId: payload.id,
  });
  try {
    const wrote = await recordAck(ports.store, ack);
    if (!wrote) {
      const raced = await getStoredAck(ports.store, ack.id);
      if (raced?.revokedAt !== undefined) return refuse('revoked');
      return respond(200, recordedPage(scope, raced?.expiresAt ?? ack.expiresAt, ack.id, true));
    }
  } catch (error) {
    ports.logger.error({ err: error, ack: ack.id }, 'recording an ack failed');
    return respond(
      503,
      refusedPage('Try again later', 'imagewarden could not record the acknowledgement right now.'),
    );
  }
  ports.logger.info({ ack: ack.id, author: ack.author, scope }, 'ack recorded from a link');
  return respond(200, recordedPage(scope, ack.expiresAt, ack.id, false));
}
