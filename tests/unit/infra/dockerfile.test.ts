// infra/Dockerfile: a multi-stage build whose runtime stage carries only the bundle and what
// the SELinux checks need, runs as the non-root user the manifests expect, and starts the
// CLI the CronJob and node Jobs pass their arguments to.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kustomizeBuild } from './kustomize.ts';

interface Stage {
  from: string;
  name: string | undefined;
  instructions: { op: string; args: string }[];
}

/** Splits a Dockerfile into stages of instructions (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = '', args = ''] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ from, name, instructions: [] });
    } else stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

const stages = parseDockerfile(readFileSync(join('infra', 'Dockerfile'), 'utf8'));
const [buildStage, runtime] = stages;
const all = (stage: Stage | undefined, op: string) =>
  (stage?.instructions ?? []).filter((i) => i.op === op).map((i) => i.args);

describe('infra/Dockerfile', () => {
  it('builds the bundle with npm ci and npm run build on node:22-bookworm-slim pinned by digest', () => {
    expect(stages).toHaveLength(2);
    expect(buildStage?.from).toMatch(/^node:22-bookworm-slim@sha256:[0-9a-f]{64}$/);
    const runs = all(buildStage, 'RUN').join(' && ');
    expect(runs).toMatch(/npm ci/);
    expect(runs).toMatch(/npm run build/);
  });

  it('ships only the bundle and attr in a slim runtime stage', () => {
    expect(runtime?.from).toBe(buildStage?.from);
    expect(all(runtime, 'RUN').join(' ')).toMatch(/apt-get install -y --no-install-recommends attr/);
    const copies = all(runtime, 'COPY');
    expect(copies).toEqual([
      `--from=${buildStage?.name} /src/dist/imagewarden.mjs /src/dist/imagewarden.mjs.map /app/`,
    ]);
    expect(all(runtime, 'ENTRYPOINT')).toEqual(['["node", "/app/imagewarden.mjs"]']);
  });

  it('runs as the non-root UID the fan-out CronJob and the docker overlay expect', () => {
    // Prepare
    const [user] = all(runtime, 'USER');
    const cron = kustomizeBuild(join('infra', 'base')).find((r) => r.kind === 'CronJob') as unknown as {
      spec: {
        jobTemplate: {
          spec: { template: { spec: { securityContext: { runAsUser: number; runAsGroup: number } } } };
        };
      };
    };
    // Act
    const pod = cron.spec.jobTemplate.spec.template.spec.securityContext;
    // Assess
    expect(user).toBe(`${pod.runAsUser}:${pod.runAsGroup}`);
    expect(pod.runAsUser).not.toBe(0);
    expect(readFileSync(join('infra', 'overlays', 'docker', 'runner-config.yaml'), 'utf8')).toContain(
      `runAsUser: ${pod.runAsUser}`,
    );
  });
});
