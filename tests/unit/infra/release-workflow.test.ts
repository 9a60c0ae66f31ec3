// .github/workflows/release.yml: what a tag push publishes, checked against the repository it
// publishes from (the npm scripts it runs, the package layout scripts/package.ts writes and the
// Terraform module reads), and its supply-chain rules: every action pinned to a commit, write
// permissions only on the job that needs each.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';

const Step = z.object({
  name: z.string().optional(),
  uses: z.string().optional(),
  run: z.string().optional(),
  with: z.record(z.string(), z.unknown()).optional(),
});
const Job = z.object({
  needs: z.union([z.string(), z.array(z.string())]).optional(),
  permissions: z.record(z.string(), z.enum(['read', 'write', 'none'])),
  steps: z.array(Step),
});
const Workflow = z.object({
  on: z.object({ push: z.object({ tags: z.array(z.string()) }) }),
  permissions: z.record(z.string(), z.enum(['read', 'write', 'none'])),
  jobs: z.record(z.string(), Job),
});

const text = readFileSync('.github/workflows/release.yml', 'utf8');
const workflow = Workflow.parse(parse(text));
const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
const scripts = Object.keys(
  (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts,
);

describe('release workflow', () => {
  it('runs on version tags with read-only default permissions', () => {
    expect(workflow.on.push.tags).toEqual(['v*.*.*']);
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('pins every action to a full commit, with the version in a comment', () => {
    const uses = [...text.matchAll(/uses:\s*(\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThan(5);
    for (const [, reference, comment] of uses) {
      expect(reference).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(comment).toMatch(/# v\d+\.\d+\.\d+/);
    }
  });

  it('grants each write permission to the one job that needs it', () => {
    const writes = Object.entries(workflow.jobs).flatMap(([name, job]) =>
      Object.entries(job.permissions)
        .filter(([, level]) => level === 'write')
        .map(([scope]) => `${name}:${scope}`),
    );
    expect(writes.sort()).toEqual(['image:packages', 'package:contents', 's3:id-token']);
  });

  it('runs only npm scripts the repository has', () => {
    const used = steps.flatMap((step) => [...(step.run ?? '').matchAll(/npm run (\S+)/g)].map((m) => m[1]));
    expect(used).toContain('package');
    for (const script of used) expect(scripts).toContain(script);
  });

  it('fails a tag that does not name package.json version before publishing anything', () => {
    const check = workflow.jobs.package?.steps.findIndex((step) =>
      step.run?.includes('does not match package.json'),
    );
    const release = workflow.jobs.package?.steps.findIndex((step) => step.run?.includes('gh release create'));
    expect(check).toBeGreaterThanOrEqual(0);
    expect(release).toBeGreaterThan(check ?? Number.POSITIVE_INFINITY);
  });

  it('copies the package to S3 in the layout the Terraform module reads (prefix + manifest.json, prefix + lambda/...)', () => {
    const copy = steps.find((step) => step.run?.includes('aws s3 cp'))?.run ?? '';
    expect(copy).toContain('package/manifest.json "s3://$BUCKET/releases/$VERSION/manifest.json"');
    expect(copy).toContain('--recursive package/lambda "s3://$BUCKET/releases/$VERSION/lambda"');
    const lambdaTf = readFileSync('terraform/lambda.tf', 'utf8');
    // the next three are Terraform and TypeScript source text, not templates
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text
    expect(lambdaTf).toContain('key    = "${var.package.s3_prefix}manifest.json"');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text
    expect(lambdaTf).toContain('"${var.package.s3_prefix}${try(local.manifest.functions[name].zip, "")}"');
    expect(readFileSync('scripts/package.ts', 'utf8')).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text
      'const file = `lambda/${name}-${version}.zip`;',
    );
  });

  it('builds the runner image from the context npm run package writes, and records its digest', () => {
    const build = steps.find((step) => step.uses?.startsWith('docker/build-push-action@'));
    expect(build?.with?.context).toBe('package/runner-image');
    expect(readFileSync('scripts/package.ts', 'utf8')).toContain("join(out, 'runner-image')");
    expect(steps.some((step) => step.run?.includes('$IMAGE@$DIGEST'))).toBe(true);
  });
});
