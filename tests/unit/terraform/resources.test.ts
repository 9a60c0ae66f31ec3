// The AWS resources in terraform/ against the code they deploy: the handlers and their bundle
// path, the config keys set through the environment, the schedules, the SQS fan-out, the state
// table's keys, secrets without values, and the public function URLs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv, mergeLayers, parseConfig } from '../../../core/config/load.ts';
import { checkScheduleExpression, toEventBridgeCron } from '../../../core/schedule/eventbridge-cron.ts';
import { TABLE_KEYS } from '../../../core/state/DynamoStateStore.ts';
import { blocks, expr, first, loadTfDir, locals, named, ROOT, RUNNER, type TfDir, text } from './hcl.ts';

let mod: TfDir;
let runner: TfDir;

beforeAll(async () => {
  mod = await loadTfDir(ROOT);
  runner = await loadTfDir(RUNNER);
});

describe('terraform resources', () => {
  it('deploys exactly the handlers in functions/handlers, from the zips and hashes of the package manifest', () => {
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
    const lambdaTf = readFileSync(join(ROOT, 'lambda.tf'), 'utf8');

    // Assess
    expect(deployed).toEqual(['ack', 'clair-webhook', 'inventory', 'notify', 'scan-worker']);
    expect(onDisk).toEqual(deployed);
    for (const name of deployed) {
      expect(readFileSync(`functions/handlers/${name}.ts`, 'utf8')).toMatch(
        /export (async function|const) handler\b/,
      );
    }
    // no zipping nor hashing of files at plan time: the manifest npm run package writes has the hashes
    expect(blocks(mod, 'data').archive_file).toBeUndefined();
    expect(lambdaTf).not.toMatch(
      /\bfile(base64sha256|sha256)?\("\$\{local\.(dist|package)_dir\}\/\$\{[^}]*\}\/index/,
    );
    expect(lambdaTf).toContain(`jsondecode(file("${expr('dir')}/manifest.json"))`);
    expect(lambdaTf).toContain('jsondecode(object.body)');
    expect(readFileSync('scripts/package.ts', 'utf8')).toContain(
      `\`lambda/${expr('name')}-${expr('version')}.zip\``,
    );
    for (const fn of Object.values(functions).map(first)) {
      expect(fn.handler).toBe('index.handler');
      expect(fn.source_code_hash).toBe(expr('local.package[each.key].sha256'));
      expect(fn.filename).toBe(expr('local.package[each.key].filename'));
      expect(fn.s3_key).toBe(expr('local.package[each.key].s3_key'));
      expect(fn.runtime).toBe(expr('var.lambda_runtime'));
      expect(first(fn.logging_config).log_format).toBe('JSON');
    }
    expect(first(functions.http).reserved_concurrent_executions).toBe(
      expr('each.value.reserved_concurrency'),
    );
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
  it('schedules with valid EventBridge expressions and a valid 5-field runner cron', () => {
    // Prepare
    const variables = named(mod, 'variable');
    const runnerType = String(named(runner, 'variable').runner?.type);
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
    // the notify function's run id: the firing's scheduled time, the same in its retries
    expect(String(target.input)).toContain('scheduledTime');
    expect(String(target.input)).toContain('<aws.scheduler.scheduled-time>');
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

    // Assess: the one value terraform writes (the generated ack HMAC key) is ephemeral and write-only
    expect(Object.keys(resources.aws_secretsmanager_secret_version ?? {})).toEqual(['ack_hmac_key']);
    expect(first(resources.aws_secretsmanager_secret_version?.ack_hmac_key)).toMatchObject({
      secret_string_wo: expr('ephemeral.random_password.ack_hmac_key.result'),
      secret_string_wo_version: expr('var.ack_hmac_key_version'),
    });
    expect(text(mod)).not.toMatch(/\bsecret_string\s*=/);
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
    // the webhook only with Clair configured (its PSK authenticates Clair)
    expect(first(urls.clair_webhook).count).toBe(expr('local.clair_enabled ? 1 : 0'));
    expect(locals(mod).clair_enabled).toBe(expr('var.clair_url != null'));
    for (const url of Object.values(urls).map(first)) expect(url.authorization_type).toBe('NONE');
    expect(invoke).toMatchObject({ action: 'lambda:InvokeFunction', invoked_via_function_url: true });
    expect(publicUrl).toMatchObject({ action: 'lambda:InvokeFunctionUrl', function_url_auth_type: 'NONE' });
  });
});
