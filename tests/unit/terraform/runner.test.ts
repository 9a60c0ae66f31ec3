// The runner objects terraform/modules/runner/kubernetes.tf creates must match infra/base (kustomize).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Terraform expressions, not templates
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { blocks, first, type Json, loadTfDir, locals, named, RUNNER, type TfDir } from './hcl.ts';

let mod: TfDir;

beforeAll(async () => {
  mod = await loadTfDir(RUNNER);
});

describe('terraform runner', () => {
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
    expect(tfRules('kubernetes_cluster_role_v1', 'fanout_pull_secrets')).toEqual(
      rulesOf('ClusterRole', 'imagewarden-fanout-pull-secrets'),
    );
    expect(runnerType).toContain(`schedule         = optional(string, "${cronJob.spec.schedule}")`);
    expect(container.args).toEqual(cronJob.spec.jobTemplate.spec.template.spec.containers[0]?.args);
    // the fan-out names its own Pod to itself as in infra/base (the node Jobs' image), and the
    // runner config sets no image: var.runner.image on the CronJob is the one place
    const baseEnv = (
      cronJob.spec.jobTemplate.spec.template.spec.containers[0] as unknown as {
        env: Array<{ name: string; valueFrom: { fieldRef: { fieldPath: string } } }>;
      }
    ).env;
    const tfEnv = (container.env as Array<Record<string, Json>>).map((e) => ({
      name: e.name,
      valueFrom: { fieldRef: { fieldPath: first(first(e.value_from).field_ref).field_path } },
    }));
    expect(tfEnv).toEqual(baseEnv);
    expect(container.image).toBe('${var.runner.image}');
    expect(String(locals(mod).runner_yaml)).not.toMatch(/\bimage\s*=/);
  });
});
