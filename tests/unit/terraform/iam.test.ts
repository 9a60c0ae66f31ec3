// IAM in terraform/: every function role and the scheduler role grant named actions on named
// resources; the only "*" resources are the two AWS requires, each documented where granted.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  blocks,
  expr,
  first,
  type Json,
  loadTfDir,
  locals,
  objectsWith,
  ROOT,
  strings,
  type TfDir,
  text,
} from './hcl.ts';

let mod: TfDir;

beforeAll(async () => {
  mod = await loadTfDir(ROOT);
});

describe('terraform IAM', () => {
  it('grants only named IAM actions, on named resources except where AWS requires "*" (documented)', () => {
    // Prepare: statements in aws_iam_policy_document blocks and in the per-function locals
    const all = text(mod);
    const docs = Object.values(blocks(mod, 'data').aws_iam_policy_document ?? {});
    // The per-function document's dynamic statement takes its content from local.function_statements.
    const isDynamic = (s: Record<string, Json>) => s.actions === expr('statement.value.actions');
    const blockStatements = docs.flatMap((doc) => objectsWith(doc, ['actions'])).filter((s) => !isDynamic(s));
    const dynamicStatements = docs.flatMap((doc) => objectsWith(doc, ['actions'])).filter(isDynamic);
    const stateActions = locals(mod).state_actions as string[];
    const localStatements = [
      ...all.matchAll(
        /((?:\s*#[^\n]*\n)*)\s*sid\s*=\s*"(\w+)"\s*\n\s*actions\s*=\s*([^\n]+)\n\s*resources\s*=\s*([^\n]+)/g,
      ),
    ].map((m) => ({
      comment: m[1] ?? '',
      sid: m[2] ?? '',
      actions:
        m[3] === 'local.state_actions'
          ? stateActions
          : [...(m[3] ?? '').matchAll(/"([^"]+)"/g)].map((a) => a[1]),
      resources: (m[4] ?? '').trim(),
    }));

    // Act
    const actions = [
      ...blockStatements.flatMap((s) => s.actions as string[]),
      ...localStatements.flatMap((s) => s.actions as string[]),
    ];
    const wildcardResources = localStatements.filter((s) => s.resources === '["*"]');
    const blockWildcards = blockStatements.filter((s) => strings(s.resources).includes('*'));

    // Assess
    expect(localStatements.map((s) => s.sid)).toEqual(
      expect.arrayContaining([
        'WriteOwnLogs',
        'StateTable',
        'ReadSecrets',
        'EnqueueScans',
        'ConsumeScans',
        'SendMail',
      ]),
    );
    expect(actions.length).toBeGreaterThan(15);
    expect(actions.filter((a) => a.includes('*') || !/^[a-z0-9-]+:[A-Za-z]+$/.test(a))).toEqual([]);
    expect(wildcardResources.map((s) => s.sid).sort()).toEqual(['VpcNetworkInterfaces', 'XRayTraces']);
    for (const s of wildcardResources) expect(s.comment, s.sid).toMatch(/AWS requires "\*"/);
    expect(blockWildcards).toEqual([]);
    expect(dynamicStatements.map((s) => s.resources)).toEqual([expr('statement.value.resources')]);
    expect(strings(blocks(mod, 'data').aws_iam_policy_document?.function)).toContain(
      expr('local.function_statements[each.key]'),
    );
  });

  it('trusts only the Lambda and Scheduler services, within this account', () => {
    // Prepare
    const docs = blocks(mod, 'data').aws_iam_policy_document ?? {};

    // Act
    const trust = ['lambda_trust', 'scheduler_trust'].map((name) => first(first(docs[name]).statement));

    // Assess
    expect(trust.map((s) => first(s.principals).identifiers)).toEqual([
      ['lambda.amazonaws.com'],
      ['scheduler.amazonaws.com'],
    ]);
    for (const s of trust) expect(first(s.condition).variable).toBe('aws:SourceAccount');
  });
});
