// Structural checks of terraform/ without the terraform binary (none can be installed here):
// the HCL parses, variables are typed and described, every reference resolves, IAM grants
// named actions on named resources, the handlers terraform deploys exist, schedules are valid
// EventBridge expressions, and the runner objects match infra/base.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { configFromEnv, mergeLayers, parseConfig } from '../../../core/config/load.ts';
import { checkScheduleExpression, toEventBridgeCron } from '../../../core/schedule/eventbridge-cron.ts';
import { TABLE_KEYS } from '../../../core/state/DynamoStateStore.ts';
import {
  blocks,
  type Json,
  loadTfDir,
  locals,
  named,
  objectsWith,
  references,
  strings,
  type TfDir,
} from './hcl.ts';

const ROOT = 'terraform';
const EXAMPLES = readdirSync(join(ROOT, 'examples')).map((d) => join(ROOT, 'examples', d));

let mod: TfDir;
const examples: TfDir[] = [];

beforeAll(async () => {
  mod = await loadTfDir(ROOT);
  for (const dir of EXAMPLES) examples.push(await loadTfDir(dir));
});

const first = (value: Json): Record<string, Json> =>
  ((value as Array<Record<string, Json>>)[0] ?? {}) as never;
/** A Terraform expression as hcl2json renders it: `${...}`. */
const expr = (inner: string): string => `\${${inner}}`;
const text = (tf: TfDir): string => tf.files.map((f) => f.text).join('\n');

describe('terraform module', () => {
  it('has the conventional files and an example README per example', () => {
    // Assess
    for (const file of ['versions.tf', 'variables.tf', 'outputs.tf'])
      expect(existsSync(join(ROOT, file))).toBe(true);
    expect(EXAMPLES.map((d) => d.split('/').pop()).sort()).toEqual(['minimal', 'with-runner']);
    for (const dir of EXAMPLES)
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/terraform apply/);
  });

  it('documents every input and output in the module README', () => {
    // Prepare
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

    // Act
    const undocumented = [
      ...Object.keys(named(mod, 'variable')),
      ...Object.keys(named(mod, 'output')),
    ].filter((name) => !new RegExp(`^\\| \`${name}\` +\\|`, 'm').test(readme));

    // Assess
    expect(undocumented).toEqual([]);
  });

  it('declares every variable with a type and a description', () => {
    // Prepare
    const dirs = [mod, ...examples];

    // Act
    const missing = dirs.flatMap((tf) =>
      Object.entries(named(tf, 'variable'))
        .filter(
          ([, v]) => typeof v.type !== 'string' || typeof v.description !== 'string' || v.description === '',
        )
        .map(([name]) => `${tf.dir}: variable ${name}`),
    );

    // Assess
    expect(Object.keys(named(mod, 'variable')).length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('declares every var.*, local.*, resource and data source it references', () => {
    for (const tf of [mod, ...examples]) {
      // Prepare
      const refs = references(tf);
      const declaredVars = new Set(Object.keys(named(tf, 'variable')));
      const declaredLocals = new Set(Object.keys(locals(tf)));
      const resources = blocks(tf, 'resource');
      const data = blocks(tf, 'data');
      const declared = (all: typeof resources, ref: string) => {
        const [type, name] = ref.split('.') as [string, string];
        return all[type]?.[name] !== undefined;
      };

      // Act
      const undeclared = [
        ...[...refs.vars].filter((v) => !declaredVars.has(v)).map((v) => `var.${v}`),
        ...[...refs.locals].filter((l) => !declaredLocals.has(l)).map((l) => `local.${l}`),
        ...[...refs.resources].filter((r) => !declared(resources, r)),
        ...[...refs.data].filter((d) => !declared(data, d)).map((d) => `data.${d}`),
      ];

      // Assess
      expect(undeclared, tf.dir).toEqual([]);
    }
    expect(references(mod).resources.size).toBeGreaterThan(15);
  });

  it('gives the examples only inputs the module declares, every required one, and outputs it has', () => {
    // Prepare
    const variables = named(mod, 'variable');
    const required = Object.entries(variables)
      .filter(([, v]) => !('default' in v))
      .map(([name]) => name);
    const outputs = new Set(Object.keys(named(mod, 'output')));

    for (const example of examples) {
      // Act
      const call = named(example, 'module').imagewarden ?? {};
      const inputs = Object.keys(call).filter((k) => k !== 'source');
      const usedOutputs = [...references(example).modules].map((r) => r.replace(/^imagewarden\./, ''));

      // Assess
      expect(call.source, example.dir).toBe('../..');
      expect(
        inputs.filter((i) => !(i in variables)),
        example.dir,
      ).toEqual([]);
      expect(
        required.filter((r) => !inputs.includes(r)),
        example.dir,
      ).toEqual([]);
      expect(
        usedOutputs.filter((o) => !outputs.has(o)),
        example.dir,
      ).toEqual([]);
    }
  });

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

  it('deploys exactly the handlers in functions/handlers, bundled where scripts/build.mjs writes them', () => {
    // Prepare
    const l = locals(mod);
    const deployed = [
      ...Object.keys(l.worker_functions as object),
      ...Object.keys(l.url_functions as object),
    ].sort();
    const onDisk = readdirSync('functions/handlers')
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    const functions = blocks(mod, 'resource').aws_lambda_function ?? {};
    const archive = first(blocks(mod, 'data').archive_file?.function);

    // Assess
    expect(deployed).toEqual(['ack', 'clair-webhook', 'inventory', 'notify', 'scan-worker']);
    expect(onDisk).toEqual(deployed);
    for (const name of deployed) {
      expect(readFileSync(`functions/handlers/${name}.ts`, 'utf8')).toMatch(
        /export (async function|const) handler\b/,
      );
    }
    expect(readFileSync('scripts/build.mjs', 'utf8')).toContain(`dist/lambda/${expr('name')}/index.mjs`);
    expect(
      strings(archive.source).some((v) =>
        v.includes(`${expr('local.dist_dir')}/${expr('each.key')}/index.mjs`),
      ),
    ).toBe(true);
    for (const fn of Object.values(functions).map(first)) {
      expect(fn.handler).toBe('index.handler');
      expect(fn.source_code_hash).toMatch(/archive_file\.function\[each\.key\]\.output_base64sha256/);
      expect(fn.runtime).toBe(expr('var.lambda_runtime'));
    }
    expect(named(mod, 'variable').lambda_runtime?.default).toBe('nodejs22.x');
  });

  it('sets only IMAGEWARDEN_* variables the config schema accepts', () => {
    // Prepare: every IMAGEWARDEN_ variable terraform sets, with a value of the right shape
    const names = [
      ...new Set([...text(mod).matchAll(/\b(IMAGEWARDEN_[A-Z0-9_]+)\s*=/g)].map((m) => m[1] as string)),
    ];
    const sample = (name: string): string => {
      if (/(HMAC_KEY|API_KEY|PSK)$/.test(name))
        return 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:x-AbCdEf';
      if (/(URL|NODE)$/.test(name)) return 'https://service.example.org';
      const fixed: Record<string, string> = {
        IMAGEWARDEN_LOG__LEVEL: 'info',
        IMAGEWARDEN_STATE__BACKEND: 'dynamodb',
        IMAGEWARDEN_STATE__TABLE: 'imagewarden-state',
        IMAGEWARDEN_NOTIFY__TRANSPORT: 'ses',
        IMAGEWARDEN_NOTIFY__FROM: 'imagewarden@example.org',
        IMAGEWARDEN_NOTIFY__SEND_RATE: '1',
        IMAGEWARDEN_INVENTORY__SOURCE: 'elasticsearch',
        IMAGEWARDEN_CONFIG: '/var/task/imagewarden.json',
      };
      return fixed[name] ?? 'x';
    };
    const env = Object.fromEntries(names.map((n) => [n, sample(n)]));

    // (The secrets variable documents that the Nivlheim key needs owners.nivlheim.url in the config file.)
    const file = { owners: { nivlheim: { url: 'https://nivlheim.example.org' } } };

    // Act
    const config = parseConfig(mergeLayers(file, configFromEnv(env)));

    // Assess
    expect(names.length).toBeGreaterThan(10);
    expect(config.state).toMatchObject({ backend: 'dynamodb', table: 'imagewarden-state' });
    expect(config.notify).toMatchObject({ transport: 'ses', sendRate: 1 });
    expect(config.notify.ack.hmacKey).toMatch(/^arn:aws:secretsmanager/);
    expect(config.scan.clair?.psk).toMatch(/^arn:aws:secretsmanager/);
  });

  it('sets only deployment variables the handlers read, besides IMAGEWARDEN_*', () => {
    // Prepare
    const lambda = readFileSync(join(ROOT, 'lambda.tf'), 'utf8');
    const handlerSource = readdirSync('functions/handlers/lib')
      .map((f) => readFileSync(join('functions/handlers/lib', f), 'utf8'))
      .join('\n');

    // Act
    const names = [...lambda.matchAll(/(?<=^|[{\s])([A-Z][A-Z0-9_]+)\s*=(?!=)/gm)]
      .map((m) => m[1] as string)
      .filter((n) => !n.startsWith('IMAGEWARDEN_'));

    // Assess
    expect(names.sort()).toEqual(['REGISTRY_DOCKER_CONFIG_SECRET', 'SCAN_QUEUE_URL']);
    for (const name of names) expect(handlerSource, name).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it("accepts the examples' imagewarden_config and runner_config as config", () => {
    for (const example of examples) {
      // Prepare
      const call = named(example, 'module').imagewarden ?? {};

      // Act + Assess: HCL objects come back as one-element arrays only for blocks, not for maps
      for (const key of ['imagewarden_config', 'runner_config'] as const) {
        if (call[key] !== undefined)
          expect(() => parseConfig(call[key]), `${example.dir} ${key}`).not.toThrow();
      }
    }
  });

  it('schedules with valid EventBridge expressions and a valid 5-field runner cron', () => {
    // Prepare
    const variables = named(mod, 'variable');
    const runnerType = String(variables.runner?.type);
    const runnerSchedule = /schedule\s*=\s*optional\(string,\s*"([^"]+)"\)/.exec(runnerType)?.[1] ?? '';
    const schedules = first(blocks(mod, 'resource').aws_scheduler_schedule?.this);
    const target = first(schedules.target);

    // Act
    const problems = ['inventory_schedule', 'notify_schedule'].flatMap((v) =>
      checkScheduleExpression(String(variables[v]?.default)),
    );

    // Assess
    expect(problems).toEqual([]);
    expect(() => toEventBridgeCron(runnerSchedule)).not.toThrow();
    expect(first(schedules.flexible_time_window).mode).toBe('OFF');
    expect(target.role_arn).toBe(expr('aws_iam_role.scheduler.arn'));
    expect(first(target.retry_policy).maximum_retry_attempts).toBeDefined();
  });

  it('fans scans out through SQS with a DLQ, partial batch failures and bounded concurrency', () => {
    // Prepare
    const resources = blocks(mod, 'resource');
    const mapping = first(resources.aws_lambda_event_source_mapping?.scan);
    const queue = first(resources.aws_sqs_queue?.scan);

    // Assess
    expect(mapping.function_response_types).toEqual(['ReportBatchItemFailures']);
    expect(first(mapping.scaling_config).maximum_concurrency).toBe(expr('var.scan_max_concurrency'));
    expect(String(queue.redrive_policy)).toContain('aws_sqs_queue.scan_dlq.arn');
    expect(String(queue.visibility_timeout_seconds)).toContain('6 * var.lambda_timeout_seconds.scan_worker');
  });

  it('creates the state table the DynamoStateStore expects: on demand, TTL, PITR, SSE', () => {
    // Prepare
    const table = first(blocks(mod, 'resource').aws_dynamodb_table?.state);
    const attributes = (table.attribute as Array<{ name: string; type: string }>).map(
      (a) => `${a.name}:${a.type}`,
    );

    // Assess
    expect(table.billing_mode).toBe('PAY_PER_REQUEST');
    expect([table.hash_key, table.range_key]).toEqual([TABLE_KEYS.partition, TABLE_KEYS.sort]);
    expect(attributes.sort()).toEqual([`${TABLE_KEYS.partition}:S`, `${TABLE_KEYS.sort}:S`]);
    expect(first(table.ttl)).toEqual({ attribute_name: TABLE_KEYS.ttl, enabled: true });
    expect(first(table.point_in_time_recovery).enabled).toBe(expr('var.state_point_in_time_recovery'));
    expect(first(table.server_side_encryption).enabled).toBe(true);
  });

  it('keeps secret values out of the state and logs for a limited time', () => {
    // Prepare
    const resources = blocks(mod, 'resource');

    // Assess
    expect(resources.aws_secretsmanager_secret_version).toBeUndefined();
    expect(first(resources.aws_cloudwatch_log_group?.function).retention_in_days).toBe(
      expr('var.log_retention_days'),
    );
    expect(first(resources.aws_sesv2_email_identity?.sender).email_identity).toBe(expr('local.ses_identity'));
  });

  it('opens function URLs without IAM auth only for the two handlers that verify requests themselves', () => {
    // Prepare
    const resources = blocks(mod, 'resource');
    const urls = resources.aws_lambda_function_url ?? {};
    const invoke = first(resources.aws_lambda_permission?.url_invoke);
    const publicUrl = first(resources.aws_lambda_permission?.url_public);

    // Assess
    expect(Object.keys(urls).sort()).toEqual(['ack', 'clair_webhook']);
    for (const url of Object.values(urls).map(first)) expect(url.authorization_type).toBe('NONE');
    expect(invoke).toMatchObject({ action: 'lambda:InvokeFunction', invoked_via_function_url: true });
    expect(publicUrl).toMatchObject({ action: 'lambda:InvokeFunctionUrl', function_url_auth_type: 'NONE' });
  });

  it('creates the same runner RBAC, CronJob schedule and command as infra/base', () => {
    // Prepare
    const resources = blocks(mod, 'resource');
    const manifests = ['rbac.yaml', 'cronjob.yaml'].flatMap((f) =>
      parseAllDocuments(readFileSync(join('infra/base', f), 'utf8')).map(
        (d) => d.toJS() as Record<string, Json>,
      ),
    );
    const rulesOf = (kind: string, name: string) =>
      (manifests.find((m) => m.kind === kind && (m.metadata as { name: string }).name === name)?.rules ??
        []) as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    const tfRules = (type: string, name: string) =>
      (
        first(resources[type]?.[name]).rule as Array<{
          api_groups: string[];
          resources: string[];
          verbs: string[];
        }>
      ).map((r) => ({ apiGroups: r.api_groups, resources: r.resources, verbs: r.verbs }));
    const cronJob = manifests.find((m) => m.kind === 'CronJob') as {
      spec: {
        schedule: string;
        jobTemplate: { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
      };
    };
    const runnerType = String(named(mod, 'variable').runner?.type);
    const tfCron = first(resources.kubernetes_cron_job_v1?.fanout);
    const container = first(
      first(first(first(first(first(tfCron.spec).job_template).spec).template).spec).container,
    );

    // Assess
    expect(tfRules('kubernetes_cluster_role_v1', 'fanout')).toEqual(
      rulesOf('ClusterRole', 'imagewarden-fanout'),
    );
    expect(tfRules('kubernetes_role_v1', 'fanout')).toEqual(rulesOf('Role', 'imagewarden-fanout'));
    expect(tfRules('kubernetes_cluster_role_v1', 'node')).toEqual(rulesOf('ClusterRole', 'imagewarden-node'));
    expect(runnerType).toContain(`schedule         = optional(string, "${cronJob.spec.schedule}")`);
    expect(container.args).toEqual(cronJob.spec.jobTemplate.spec.template.spec.containers[0]?.args);
  });
});
