// Redaction by value: every secret resolved at run time (env:, file:, Secrets Manager) and every
// credential seen in a URL is registered here, and the logger replaces each wherever it shows
// up in a finished line: message, metadata, a nested error cause, an upstream error's text.
// Field-name redaction (core/logger.ts) stays as a second net. Client errors are serialized by
// `serializeError`, which drops request and response headers (Authorization, Cookie,
// x-api-key...) that Elasticsearch, Kubernetes and AWS SDK errors carry in their metadata.

export const REDACTED = '[redacted]';

/** Shorter values would redact ordinary words; no credential worth the name is this short. */
const MIN_SECRET_LENGTH = 4;

const secrets = new Set<string>();
let ordered: string[] = [];

/** Registers a secret value (and its URL- and JSON-escaped forms) for redaction everywhere. */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH) return;
  const forms = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
  let added = false;
  for (const form of forms) {
    if (form.length >= MIN_SECRET_LENGTH && !secrets.has(form)) {
      secrets.add(form);
      added = true;
    }
  }
  // longest first, so a secret containing another is replaced whole
  if (added) ordered = [...secrets].sort((a, b) => b.length - a.length);
}

/** Forgets every registered secret (tests). */
export function clearSecrets(): void {
  secrets.clear();
  ordered = [];
}

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^/@\s"'<>]+)@/gi;

/** Registers the user info of a URL (`scheme://user:pass@host`) as secrets; returns the URL redacted. */
export function registerUrlCredentials(url: string): string {
  return url.replace(URL_CREDENTIALS, (_, scheme: string, userinfo: string) => {
    registerUserinfo(userinfo);
    return `${scheme}${REDACTED}@`;
  });
}

function registerUserinfo(userinfo: string): void {
  const colon = userinfo.indexOf(':');
  const password = colon >= 0 ? userinfo.slice(colon + 1) : userinfo;
  registerSecret(password);
  try {
    registerSecret(decodeURIComponent(password));
  } catch {
    // not percent-encoded text; the raw form is registered
  }
}

/** Credentials in the form of an Authorization header value, wherever a server quoted one. */
const AUTH_SCHEME = /\b(Bearer|Basic|ApiKey|APIKEY)\s+[A-Za-z0-9._~+/=-]{8,}/g;

/** The text with every registered secret, URL credential and quoted Authorization value replaced. */
export function redactText(text: string): string {
  let out = text;
  for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  if (out.includes('@')) out = registerUrlCredentials(out);
  return out.replace(AUTH_SCHEME, `$1 ${REDACTED}`);
}

/** Header names whose values are credentials; a `headers` object is dropped whole anyway. */
const HEADER_KEYS =
  /^(headers|requestHeaders|authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-amz-security-token)$/i;
/** Objects of a client's transport that are never worth logging and hold the request. */
const TRANSPORT_KEYS = /^(\$response|request|socket|agent|connection|_httpMessage|config)$/;
const MAX_DEPTH = 6;

function plain(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[nested]';
  seen.add(value);
  if (value instanceof Error) return serializeErrorAt(value, depth, seen);
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => plain(v, depth + 1, seen));
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (HEADER_KEYS.test(key) || TRANSPORT_KEYS.test(key)) continue;
    out[key] = plain(v, depth + 1, seen);
  }
  return out;
}

function serializeErrorAt(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: error.name || error.constructor?.name || 'Error',
    message: redactText(error.message),
  };
  if (error.stack) out.stack = redactText(error.stack);
  for (const [key, v] of Object.entries(error)) {
    if (key === 'message' || key === 'stack' || HEADER_KEYS.test(key) || TRANSPORT_KEYS.test(key)) continue;
    out[key] = plain(v, depth + 1, seen);
  }
  if (error.cause !== undefined) out.cause = plain(error.cause, depth + 1, seen);
  return out;
}

/**
 * The one serializer for errors in logs: name, message, stack, own fields and the cause chain,
 * without request/response headers or transport objects, with secrets redacted.
 */
export function serializeError(error: unknown): unknown {
  return plain(error, 0, new WeakSet());
}
