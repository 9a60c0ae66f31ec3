// terraform:check (scripts/terraform/check.ts): the real terraform/ passes, and each kind of
// mistake planted in a copy of it is reported with the file and line where it was planted.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkTerraform, formatProblem, moduleDirs } from '../../../scripts/terraform/check.ts';
import { loadProviderSchemas, type ProviderSchema } from '../../../scripts/terraform/schema.ts';
import { ROOT } from './hcl.ts';

let providers: Map<string, ProviderSchema>;
let copy: string;

beforeAll(() => {
  providers = loadProviderSchemas();
});

afterEach(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

/** terraform/ copied to a temporary directory, with one line of one file replaced. */
function planted(file: string, from: string | RegExp, to: string): { dir: string; line: number } {
  copy = mkdtempSync(join(tmpdir(), 'tfcheck-'));
  cpSync(ROOT, copy, { recursive: true });
  const path = join(copy, file);
  const text = readFileSync(path, 'utf8');
  const index = text.search(from);
  if (index < 0) throw new Error(`${file}: ${from} not found`);
  writeFileSync(path, text.replace(from, to));
  return { dir: copy, line: text.slice(0, index).split('\n').length };
}

const check = async (dir: string) => (await checkTerraform(dir, providers)).map(formatProblem);

describe('terraform:check', () => {
  it('passes the real terraform/, every module and example included', async () => {
    // Act
    const problems = await check(ROOT);

    // Assess
    expect(moduleDirs(ROOT).sort()).toEqual([
      'terraform',
      'terraform/examples/minimal',
      'terraform/examples/with-runner',
      'terraform/modules/runner',
    ]);
    expect(problems).toEqual([]);
  });

  it('names file:line of an unknown resource type', async () => {
    // Prepare
    const { dir, line } = planted(
      'sqs.tf',
      'resource "aws_sqs_queue" "scan_dlq"',
      'resource "aws_sqs_queues" "scan_dlq"',
    );

    // Act
    const problems = await check(dir);

    // Assess
    expect(problems).toContain(
      `${dir}/sqs.tf:${line}: unknown resource type aws_sqs_queues (hashicorp/aws 6.66.0 has none)`,
    );
  });

  it('names file:line of an unknown argument, and of an unknown nested block deep in a Kubernetes spec', async () => {
    // Prepare
    const { dir, line } = planted('sqs.tf', /batch_size( +)= var/, 'batch_sizes$1= var');
    const k8s = join(dir, 'modules/runner/kubernetes.tf');
    const text = readFileSync(k8s, 'utf8');
    const k8sLine = text.slice(0, text.indexOf('seccomp_profile {')).split('\n').length;
    writeFileSync(k8s, text.replace('seccomp_profile {', 'seccomp {'));

    // Act
    const problems = await check(dir);

    // Assess
    expect(problems).toContain(
      `${dir}/sqs.tf:${line}: unknown argument batch_sizes in aws_lambda_event_source_mapping.scan`,
    );
    expect(problems).toContain(
      `${dir}/modules/runner/kubernetes.tf:${k8sLine}: unknown nested block seccomp in kubernetes_cron_job_v1.fanout.spec.job_template.spec.template.spec.security_context`,
    );
  });

  it('names file:line of a missing required argument', async () => {
    // Prepare: the resource's own line is where the argument is missing
    const { dir } = planted('iam.tf', /\n {2}role {5}= aws_iam_role\.function\[each\.key\]\.id/, '');
    const text = readFileSync(join(dir, 'iam.tf'), 'utf8');
    const line = text.slice(0, text.indexOf('resource "aws_iam_role_policy" "function"')).split('\n').length;

    // Act
    const problems = await check(dir);

    // Assess
    expect(problems).toContain(
      `${dir}/iam.tf:${line}: missing required argument role in aws_iam_role_policy.function`,
    );
  });

  it('names file:line of a reference to an attribute that does not exist', async () => {
    // Prepare
    const { dir, line } = planted(
      'outputs.tf',
      'value       = aws_sqs_queue.scan.url',
      'value       = aws_sqs_queue.scan.queue_url',
    );

    // Act
    const problems = await check(dir);

    // Assess
    expect(problems).toEqual([
      `${dir}/outputs.tf:${line}: aws_sqs_queue.scan.queue_url: aws_sqs_queue has no attribute queue_url`,
    ]);
  });

  it('names a missing attribute of a nested block, an undeclared resource, variable, local and module output', async () => {
    // Prepare
    const { dir } = planted(
      'outputs.tf',
      /$/,
      `
output "planted" {
  description = "planted mistakes"
  value = [
    aws_sesv2_email_identity.sender.dkim_signing_attributes[0].tokenz,
    aws_sqs_queue.scans.arn,
    var.nope,
    local.nope,
  ]
}
`,
    );
    const example = join(dir, 'examples/minimal/main.tf');
    writeFileSync(
      example,
      readFileSync(example, 'utf8').replace('module.imagewarden.ack_url', 'module.imagewarden.ack_urls'),
    );
    const start = readFileSync(join(dir, 'outputs.tf'), 'utf8').split('\n').indexOf('output "planted" {') + 1;

    // Act
    const problems = await check(dir);

    // Assess
    expect(problems.filter((p) => p.includes('/outputs.tf:'))).toEqual([
      `${dir}/outputs.tf:${start + 3}: aws_sesv2_email_identity.sender.dkim_signing_attributes.tokenz: block dkim_signing_attributes of aws_sesv2_email_identity has no attribute tokenz`,
      `${dir}/outputs.tf:${start + 4}: reference to undeclared resource aws_sqs_queue.scans`,
      `${dir}/outputs.tf:${start + 5}: reference to undeclared variable var.nope`,
      `${dir}/outputs.tf:${start + 6}: reference to undeclared local.nope`,
    ]);
    expect(problems.filter((p) => p.includes('/examples/minimal/main.tf:'))).toEqual([
      expect.stringMatching(
        /main\.tf:\d+: module\.imagewarden\.ack_urls: the module has no output ack_urls$/,
      ),
    ]);
  });

  it('runs as npm run -s terraform:check DIR, exiting 1 with the problems on stderr', () => {
    // Prepare
    const { dir, line } = planted('sqs.tf', /batch_size( +)= var/, 'batch_sizes$1= var');

    // Act
    let status = 0;
    let stderr = '';
    try {
      execFileSync('npm', ['run', '-s', 'terraform:check', dir], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      ({ status, stderr } = error as { status: number; stderr: string });
    }

    // Assess
    expect(status).toBe(1);
    expect(stderr).toContain(`${dir}/sqs.tf:${line}: unknown argument batch_sizes`);
  });

  it('pins in versions.tf the provider versions the committed schemas were generated from', () => {
    // Prepare
    const pins = ['terraform/versions.tf', 'terraform/modules/runner/versions.tf']
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');

    // Act
    const pinned = Object.fromEntries(
      [
        ...pins.matchAll(
          /source\s*=\s*"hashicorp\/(\w+)"\s*\n(?:\s*#[^\n]*\n)*\s*version\s*=\s*"~> ([\d.]+)"/g,
        ),
      ].map((m) => [m[1], m[2]]),
    );

    // Assess
    expect(Object.keys(pinned).length).toBeGreaterThanOrEqual(2);
    for (const [provider, version] of Object.entries(pinned))
      expect(providers.get(provider)?.version, provider).toBe(version);
  });
});
