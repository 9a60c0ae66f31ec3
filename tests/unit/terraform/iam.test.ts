// IAM in terraform/: every function role and the scheduler role grant named actions on named
// resources; the only "*" resources are the two AWS requires, each documented where granted.
import { beforeAll, describe, expect, it } from 'vitest';
import { SELINUX_FINDINGS_COLLECTION } from '../../../core/findings/toSelinuxFinding.ts';
import { COLLECTION_NAMES } from '../../../core/state/collections.ts';
import { ACKS_COLLECTION } from '../../../functions/acks/AckStore.ts';
import { INVENTORY_COLLECTION } from '../../../functions/inventory/inventoryStore.ts';
import { FINDING_COLLECTIONS } from '../../../functions/notify/loadFindings.ts';
import { NOTIFIED_COLLECTION, OUTBOX_COLLECTION } from '../../../functions/notify/types.ts';
import { POLICY_COLLECTION } from '../../../functions/policy/policyStore.ts';
import { VULN_FINDINGS } from '../../../functions/scan/findings.ts';
import { CLAIR_NOTIFICATIONS, RENOTIFY } from '../../../functions/scan/notifications.ts';
import { PENDING_NOTIFICATIONS } from '../../../functions/scan/pendingNotifications.ts';
import { SCAN_RESULTS } from '../../../functions/scan/ScanResult.ts';
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
    const stateActions: Record<string, string[]> = {
      'local.state_read_actions': locals(mod).state_read_actions as string[],
      'local.state_write_actions': locals(mod).state_write_actions as string[],
    };
    const localStatements = [
      ...all.matchAll(
        /((?:\s*#[^\n]*\n)*)\s*sid\s*=\s*"(\w+)"\s*\n\s*actions\s*=\s*([^\n]+)\n\s*resources\s*=\s*([^\n]+)/g,
      ),
    ].map((m) => ({
      comment: m[1] ?? '',
      sid: m[2] ?? '',
      actions: stateActions[(m[3] ?? '').trim()] ?? [...(m[3] ?? '').matchAll(/"([^"]+)"/g)].map((a) => a[1]),
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
        'ReadOwnState',
        'WriteOwnState',
        'ReadSecrets',
        'EnqueueScans',
        'ConsumeScans',
        'SendMail',
      ]),
    );
    expect(actions.length).toBeGreaterThan(15);
    expect(actions.filter((a) => a.includes('*') || !/^[a-z0-9-]+:[A-Za-z]+$/.test(a))).toEqual([]);
    expect(wildcardResources.map((s) => s.sid).sort()).toEqual([
      'EcrToken',
      'VpcNetworkInterfaces',
      'XRayTraces',
    ]);
    for (const s of wildcardResources) expect(s.comment, s.sid).toMatch(/AWS requires "\*"/);
    expect(blockWildcards).toEqual([]);
    expect(dynamicStatements.map((s) => s.resources)).toEqual([expr('statement.value.resources')]);
    expect(strings(blocks(mod, 'data').aws_iam_policy_document?.function)).toContain(
      expr('local.function_statements[each.key]'),
    );
  });

  it('limits each function to its own state collections (dynamodb:LeadingKeys), reads apart from writes', () => {
    // Prepare
    const l = locals(mod);
    const state = l.function_state as Record<string, { read: string[]; write: string[] }>;
    const functions = [
      ...Object.keys(l.worker_functions as Record<string, Json>),
      ...Object.keys(l.url_functions as Record<string, Json>),
    ];
    // the one registry of collections (core/state/collections.ts); each owner's constant is in it
    const known = new Set<string>(COLLECTION_NAMES);
    for (const name of [
      ACKS_COLLECTION,
      INVENTORY_COLLECTION,
      POLICY_COLLECTION,
      SCAN_RESULTS,
      VULN_FINDINGS,
      RENOTIFY,
      CLAIR_NOTIFICATIONS,
      PENDING_NOTIFICATIONS,
      OUTBOX_COLLECTION,
      NOTIFIED_COLLECTION,
      SELINUX_FINDINGS_COLLECTION,
      ...FINDING_COLLECTIONS,
    ])
      expect(known, 'registered in core/state/collections.ts').toContain(name);
    const all = text(mod);
    const condition = objectsWith(first(blocks(mod, 'data').aws_iam_policy_document?.function), ['variable']);

    // Assess: an entry per function, naming only collections the code has
    expect(Object.keys(state).sort()).toEqual(functions.sort());
    for (const [name, grant] of Object.entries(state)) {
      for (const collection of [...grant.read, ...grant.write]) expect(known, name).toContain(collection);
    }
    // the internet-facing functions write only what they receive
    expect(state.ack?.write).toEqual([ACKS_COLLECTION]);
    expect(state['clair-webhook']?.read).toEqual([]);
    // reads and writes are separate statements, each limited to its partitions (and their chunks)
    expect(all).toMatch(
      /sid\s*=\s*"ReadOwnState"\s*\n\s*actions\s*=\s*local\.state_read_actions\s*\n\s*resources\s*=[^\n]+\n\s*leading_keys\s*=\s*local\.state_leading_keys\[name\]\.read/,
    );
    expect(all).toMatch(
      /sid\s*=\s*"WriteOwnState"\s*\n\s*actions\s*=\s*contains\(local\.state_no_delete, name\) \? local\.state_put_actions : local\.state_write_actions\s*\n\s*resources\s*=[^\n]+\n\s*leading_keys\s*=\s*local\.state_leading_keys\[name\]\.write/,
    );
    expect(all).toContain(`[c, "${expr('c')}#chunks"]`);
    expect(l.state_read_actions).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(l.state_write_actions).toEqual(['dynamodb:PutItem', 'dynamodb:DeleteItem']);
    // the internet-facing functions never delete (the handler tests refuse their deletes)
    expect(l.state_put_actions).toEqual(['dynamodb:PutItem']);
    expect(l.state_no_delete).toEqual(['ack', 'clair-webhook']);
    expect(condition).toContainEqual({
      test: 'ForAllValues:StringEquals',
      variable: 'dynamodb:LeadingKeys',
      values: expr('condition.value'),
    });
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
