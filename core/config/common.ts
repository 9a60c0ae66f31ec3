// Field types shared by the config sections, each with an error message that names the
// expected form and shows the bad value (never a credential: URLs are shown with their user
// info masked, secret fields not at all).
import { z } from 'zod';
import { registerUrlCredentials } from '../redact.ts';

const show = (input: unknown): string => {
  const text = JSON.stringify(input) ?? String(input);
  return typeof input === 'string' ? registerUrlCredentials(text) : text;
};

function parseHttpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An http(s) URL without credentials in it: `http://user:pass@clair:6060` never authenticates
 * (the clients send their own Authorization) and would be printed wherever the URL is.
 * `secretField` names the field beside it that takes the credential instead.
 */
export function httpUrl(secretField?: string) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const url = parseHttpUrl(value);
      if (!url) {
        ctx.addIssue({ code: 'custom', message: `expected an http(s) URL, got ${show(value)}` });
        return;
      }
      if (url.username !== '' || url.password !== '') {
        // registered so the value is redacted even where it was already echoed (a log line)
        registerUrlCredentials(value);
        ctx.addIssue({
          code: 'custom',
          message:
            'credentials inside the URL are not accepted (the value is not shown); ' +
            (secretField
              ? `give them as a secret reference in ${secretField} beside this key instead`
              : 'this service takes no credentials in its URL'),
        });
      }
    })
    .meta({ title: 'http(s) URL' });
}

/** An http(s) URL without credentials, for a service that takes none. */
export const HttpUrl = httpUrl();

/**
 * A reference to a secret, never the secret itself: `env:NAME`, `file:/path`, or an AWS
 * Secrets Manager ARN (optionally `#jsonKey` to pick one key of a JSON secret).
 */
export const SecretRef = z
  .string()
  .refine(
    (value) =>
      /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+|arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^\s]+)$/.test(
        value,
      ),
    {
      error: (issue) =>
        `expected a secret reference (env:NAME, file:/absolute/path or a Secrets Manager ARN), got ${
          typeof issue.input === 'string' && issue.input.length > 0
            ? 'an inline value (not shown)'
            : show(issue.input)
        }`,
    },
  )
  .meta({ title: 'secret reference' });
export type SecretRef = z.infer<typeof SecretRef>;

/** An email address, conservatively: one @, no spaces, no CR/LF, a dotted domain. */
export const EmailAddress = z
  .string()
  .refine(
    (value) =>
      /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/.test(
        value,
      ),
    {
      error: (issue) => `expected an email address, got ${show(issue.input)}`,
    },
  )
  .meta({ title: 'email address' });

/** A duration such as `90s`, `15m`, `2h`, `7d`, or a number of milliseconds. */
export const Duration = z
  .union([z.number().int().nonnegative(), z.string()])
  .transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
    if (!match) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration like 90s, 15m, 2h or 7d, got ${show(value)}`,
      });
      return z.NEVER;
    }
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      match[2] as 'ms' | 's' | 'm' | 'h' | 'd'
    ];
    return Math.round(Number(match[1]) * unit);
  })
  .meta({ title: 'duration' });

/** An IANA time zone name. */
export const TimeZone = z
  .string()
  .refine(
    (value) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: value });
        return true;
      } catch {
        return false;
      }
    },
    { error: (issue) => `expected an IANA time zone such as Europe/Oslo, got ${show(issue.input)}` },
  )
  .meta({ title: 'time zone' });
