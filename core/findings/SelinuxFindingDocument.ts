// The SELinux finding document the node runners index into Elasticsearch
// (runner.selinux.elasticsearch) and the notify step reads back (notify.selinuxFindings): one
// schema for both sides. The writer builds every document through `selinuxFindingDocument`,
// which parses what it built, and the reader parses with the same schema, so a change on
// one side fails the other side's tests instead of silently dropping findings in the field.
import { z } from 'zod';
import { SelinuxIssue } from './SelinuxIssue.ts';

export const SelinuxFindingDocument = SelinuxIssue.extend({
  kind: z.literal('selinux'),
  /** When the reporting runner last saw the problem (ISO time); the import keeps the first detection. */
  lastSeen: z.iso.datetime({ offset: true }),
  /** Same as lastSeen: the field the reader's time window filters on. */
  '@timestamp': z.iso.datetime({ offset: true }),
});
export type SelinuxFindingDocument = z.infer<typeof SelinuxFindingDocument>;

/**
 * The document for one issue reported at `at`, and its id. The id is the issue key, plus the
 * reporting node for issues that do not name one, so each node's report of a cluster-wide
 * problem is its own document and a re-run updates it instead of adding another.
 */
export function selinuxFindingDocument(
  issue: SelinuxIssue,
  context: { node?: string; at: Date },
): { id: string; document: SelinuxFindingDocument } {
  const node = issue.node ?? context.node;
  const id = issue.node || !context.node ? issue.key : `${issue.key}|node/${context.node}`;
  const at = context.at.toISOString();
  const document = SelinuxFindingDocument.parse({
    ...issue,
    kind: 'selinux',
    ...(node === undefined ? {} : { node }),
    lastSeen: at,
    '@timestamp': at,
  });
  return { id, document };
}

/** The issue a document reports and when it was last seen; undefined for a document of another shape. */
export function readSelinuxFindingDocument(
  raw: unknown,
): { issue: SelinuxIssue; lastSeen: Date } | undefined {
  const parsed = SelinuxFindingDocument.safeParse(raw);
  if (!parsed.success) return undefined;
  const { kind: _kind, lastSeen, '@timestamp': _timestamp, ...issue } = parsed.data;
  return { issue, lastSeen: new Date(lastSeen) };
}
