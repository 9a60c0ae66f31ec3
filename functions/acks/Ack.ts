// The acknowledgement model: "I know about this, stop telling me until <expiry>". An ack is
// scoped to a repository (or one digest) and a vulnerability (or a policy rule), optionally
// narrowed to one package. Acks come from the GitOps YAML file, the CLI and signed links.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DAY_MS } from '../../core/clock.ts';
import { PolicyRule } from '../../core/findings/Finding.ts';

const Digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, { error: 'expected a digest sha256:<64 hex>' });

export const AckScope = z
  .object({
    /** `domain/path` of the repository, as findings carry it (e.g. `harbor.example.org/team/app`). */
    repository: z.string().min(1).optional(),
    /** One image digest instead of the whole repository. */
    digest: Digest.optional(),
    vulnerability: z.string().min(1).optional(),
    rule: PolicyRule.optional(),
    /** Narrows a vulnerability ack to one package. */
    package: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((scope, ctx) => {
    if ((scope.repository === undefined) === (scope.digest === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['repository'],
        message: 'give exactly one of repository or digest',
      });
    }
    if ((scope.vulnerability === undefined) === (scope.rule === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['vulnerability'],
        message: 'give exactly one of vulnerability or rule',
      });
    }
    if (scope.package !== undefined && scope.rule !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['package'],
        message: 'package only narrows a vulnerability ack',
      });
    }
  });
export type AckScope = z.infer<typeof AckScope>;

export const AckSource = z.enum(['file', 'cli', 'link']);
export type AckSource = z.infer<typeof AckSource>;

export const Ack = z.object({
  id: z.string().min(1),
  scope: AckScope,
  reason: z.string().min(1),
  /** Who acknowledged: an email address for links, a name or address for the CLI and the file. */
  author: z.string().min(1),
  source: AckSource,
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  /**
   * Whether a fix existed when the ack was made. `false` means "acknowledged while no fix
   * exists": the ack stops matching once the finding becomes fixable. Undefined: fixes do not matter.
   */
  fixAvailable: z.boolean().optional(),
  revokedAt: z.iso.datetime().optional(),
  revokedBy: z.string().optional(),
  /** The signed link's id, so a link replayed after a revoke is recognised and refused. */
  tokenId: z.string().optional(),
});
export type Ack = z.infer<typeof Ack>;

export interface ExpiryPolicy {
  defaultDays: number;
  maxDays: number;
}

/**
 * Works out an ack's expiry: the default when none is asked for; an asked-for expiry beyond
 * the maximum is an error (rather than silently shortened) so the author knows.
 */
export function ackExpiry(createdAt: Date, requested: Date | undefined, policy: ExpiryPolicy): Date {
  const max = createdAt.getTime() + policy.maxDays * DAY_MS;
  if (requested === undefined)
    return new Date(Math.min(createdAt.getTime() + policy.defaultDays * DAY_MS, max));
  if (Number.isNaN(requested.getTime())) throw new RangeError('expiry is not a valid date');
  if (requested.getTime() <= createdAt.getTime()) throw new RangeError('expiry must be in the future');
  if (requested.getTime() > max) {
    throw new RangeError(`expiry is more than ${policy.maxDays} days after ${createdAt.toISOString()}`);
  }
  return requested;
}

/** A stable id for a scope (file acks have no other identity than what they cover). */
export function scopeId(scope: AckScope): string {
  const canonical = JSON.stringify([
    scope.repository,
    scope.digest,
    scope.vulnerability,
    scope.rule,
    scope.package,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** One line naming what an ack covers, for lists and pages. */
export function describeScope(scope: AckScope): string {
  const where = scope.repository ?? scope.digest ?? '?';
  const what = scope.vulnerability ?? `policy rule ${scope.rule ?? '?'}`;
  return `${what}${scope.package ? ` in package ${scope.package}` : ''} on ${where}`;
}
