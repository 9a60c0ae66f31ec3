// The GitOps source of acknowledgements: a YAML file kept in git and reviewed like code.
// Every entry is validated; errors name the entry index and the field, all at once.
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../../core/errors.ts';
import { PolicyRule } from '../../core/findings/Finding.ts';
import { Ack, AckScope, ackExpiry, type ExpiryPolicy, scopeId } from './Ack.ts';

const DateLike = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: (issue) => `expected a date (YYYY-MM-DD) or an ISO timestamp, got ${JSON.stringify(issue.input)}`,
});

export const AckFileEntry = z
  .object({
    repository: z.string().min(1).optional(),
    digest: z.string().optional(),
    vulnerability: z.string().min(1).optional(),
    rule: PolicyRule.optional(),
    package: z.string().min(1).optional(),
    reason: z.string({ error: 'a reason is required' }).trim().min(1, { error: 'a reason is required' }),
    author: z.string({ error: 'an author is required' }).trim().min(1, { error: 'an author is required' }),
    /** When the ack was agreed; the default expiry counts from here. */
    created: DateLike.optional(),
    expires: DateLike.optional(),
    /** `false`: acknowledged while no fix exists, alert again once one does. */
    fixAvailable: z.boolean().optional(),
  })
  .strict();
export type AckFileEntry = z.infer<typeof AckFileEntry>;

export const AckFile = z
  .object({ acks: z.array(z.unknown()).default([]) })
  .strict()
  .nullable()
  .transform((value) => value ?? { acks: [] });
export type AckFile = z.infer<typeof AckFile>;

function formatIssues(prefix: string, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    return `${prefix}${path}: ${issue.message}`;
  });
}

/**
 * Parses the acks file text. `now` anchors entries without `created`. Throws one
 * ValidationError listing every bad entry as `acks[3].reason: a reason is required`.
 */
export function parseAckFile(text: string, source: string, now: Date, policy: ExpiryPolicy): Ack[] {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ValidationError(source, `not valid YAML: ${doc.errors[0]?.message ?? 'parse error'}`);
  }
  const top = AckFile.safeParse(doc.toJS());
  if (!top.success) throw new ValidationError(source, formatIssues('', top.error.issues).join('; '));
  const problems: string[] = [];
  const acks: Ack[] = [];
  top.data.acks.forEach((raw, index) => {
    const prefix = `acks[${index}]`;
    const entry = AckFileEntry.safeParse(raw);
    if (!entry.success) {
      problems.push(...formatIssues(prefix, entry.error.issues));
      return;
    }
    const { reason, author, created, expires, fixAvailable, ...scopeInput } = entry.data;
    const scope = AckScope.safeParse(scopeInput);
    if (!scope.success) {
      problems.push(...formatIssues(prefix, scope.error.issues));
      return;
    }
    if (created === undefined && expires === undefined) {
      // Anchoring the default expiry at "now" would renew the ack on every run: never expire.
      problems.push(
        `${prefix}.expires: give expires (or created, to take the default of ${policy.defaultDays} days)`,
      );
      return;
    }
    const requested = expires ? new Date(expires) : undefined;
    // An expired entry is not an error: it stops silencing, and notify tells the owner it expired.
    // Without `created` there is nothing to check an expiry already past against: it ran out then.
    const ranOut = created === undefined && requested !== undefined && requested.getTime() <= now.getTime();
    const createdAt = created ? new Date(created) : ranOut && requested ? requested : now;
    let expiresAt: Date;
    try {
      expiresAt = ranOut && requested ? requested : ackExpiry(createdAt, requested, policy);
    } catch (error) {
      problems.push(`${prefix}.expires: ${(error as Error).message}`);
      return;
    }
    acks.push(
      Ack.parse({
        id: `file-${scopeId(scope.data)}`,
        scope: scope.data,
        reason,
        author,
        source: 'file',
        createdAt: createdAt.toISOString(),
        expiresAt: expiresAt.toISOString(),
        fixAvailable,
      }),
    );
  });
  if (problems.length > 0)
    throw new ValidationError(source, `invalid acknowledgements:\n  ${problems.join('\n  ')}`);
  return acks;
}

/** Reads and validates the acks file; a missing file is an error (it was configured). */
export async function loadAckFile(path: string, now: Date, policy: ExpiryPolicy): Promise<Ack[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ValidationError(path, 'cannot read the acknowledgements file', { cause: error });
  }
  return parseAckFile(text, path, now, policy);
}
