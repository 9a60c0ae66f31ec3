// What a user sees from `imagewarden runner node` before any cluster is reached: usage and
// config errors exit 2 naming the problem; the dry-run plan format.
import { describe, expect, it } from 'vitest';
import { formatPlan } from '../../../../cli/commands/runner.ts';
import { HOUR_MS, ManualClock } from '../../../../core/clock.ts';
import { parseConfig } from '../../../../core/config/load.ts';
import { silentLogger } from '../../../../core/logger.ts';
import { pruneSection } from '../../../../runner/prune/prune-section.ts';
import type { RunReport } from '../../../../runner/report.ts';
import { runImagewarden } from '../../../support/cli.ts';

describe('imagewarden runner node', () => {
  it('asks for --once', async () => {
    const run = await runImagewarden(['runner', 'node']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('pass --once');
  });

  it('exits 2 naming the missing node name', async () => {
    const run = await runImagewarden(['runner', 'node', '--once']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('runner.nodeName is required');
  });

  it('exits 2 naming a bad setting', async () => {
    const run = await runImagewarden(['runner', 'node', '--once'], {
      env: { IMAGEWARDEN_RUNNER__NODE_NAME: 'n1', IMAGEWARDEN_RUNNER__PULL_CONCURRENCY: '99' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('runner.pullConcurrency');
  });

  it('exits 2 when the kubeconfig cannot be loaded', async () => {
    const run = await runImagewarden(['runner', 'node', '--once', '--node', 'n1'], {
      env: { IMAGEWARDEN_RUNNER__KUBECONFIG: '/nonexistent/kubeconfig' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('runner.kubeconfig: cannot load /nonexistent/kubeconfig');
  });

  it('prints one line per image in the plan, with the reason', () => {
    // Prepare
    const report = {
      seed: {
        images: [
          {
            reference: 'r.corp/a:1',
            outcome: 'planned',
            why: 'tag moved: local 111, registry 222',
            wantedBy: ['warm list', 'Deployment shop/a', 'CronJob shop/b'],
          },
          { reference: 'r.corp/b:1', outcome: 'present', why: 'tag present locally at the registry digest' },
          {
            reference: 'down.corp/c:1',
            outcome: 'skipped',
            skipReason: 'registry-unreachable',
            why: 'ECONNREFUSED',
          },
        ],
      },
      desired: {
        malformed: [
          {
            workload: 'Deployment shop/x',
            container: 'c',
            image: 'Bad//ref',
            message: 'empty path component',
          },
        ],
        listFailures: [],
      },
    } as unknown as RunReport;

    // Act
    const text = formatPlan(report);

    // Assess
    expect(text.split('\n')).toEqual([
      'PULL   r.corp/a:1  (tag moved: local 111, registry 222; wanted by warm list, Deployment shop/a, +1 more)',
      'OK     r.corp/b:1  (tag present locally at the registry digest)',
      'SKIP   down.corp/c:1  (registry-unreachable: ECONNREFUSED)',
      'BAD    Bad//ref in Deployment shop/x container c  (empty path component)',
      '',
    ]);
  });
});

describe('formatPlan with a prune section', () => {
  it('lists what prune would remove and why after the pull plan', async () => {
    // Prepare: one managed image out of the desired set for 100 h, retention 72 h
    const clock = new ManualClock('2026-03-10T12:00:00Z');
    const image = {
      id: `sha256:${'a'.repeat(64)}`,
      repoTags: ['r.io/old:1'],
      repoDigests: [],
      labels: {},
      size: 1024 ** 3,
      created: undefined,
    };
    const { section } = await pruneSection(
      {
        runtime: {
          listImages: async () => [image],
          listContainers: async () => [],
          inspectImage: async () => undefined,
          removeImage: async () => {},
          imageStoreSpace: async () => ({ freeBytes: 60, totalBytes: 100 }),
        },
        logger: silentLogger(),
        clock,
      },
      {
        config: parseConfig({}).runner.prune,
        state: {
          version: 1,
          images: {
            'r.io/old:1': {
              managed: true,
              lastDesired: new Date(clock.now().getTime() - 100 * HOUR_MS).toISOString(),
            },
          },
        },
        desiredNow: [],
        dryRun: true,
      },
    );
    const report = { seed: { images: [] }, sections: { prune: section } } as unknown as RunReport;

    // Act
    const text = formatPlan(report);

    // Assess
    expect(text).toMatch(
      /^nothing desired on this node\nPRUNE {2}r\.io\/old:1 {2}\(retention-expired: .*100 h.*\)\nprune: /,
    );
  });
});

describe('formatPlan without a runtime', () => {
  it('marks images of unknown presence with ? and prints why they are wanted and the runtime warning', () => {
    // Prepare
    const report = {
      runtime: { kind: 'cri', version: '', warning: 'runtime unreachable, image presence unknown: ENOENT' },
      seed: {
        images: [
          {
            reference: 'r.corp/web:1',
            outcome: 'planned',
            presence: 'unknown',
            why: 'presence unknown: ENOENT',
            wantedBy: ['Deployment shop/web'],
          },
        ],
      },
    } as unknown as RunReport;

    // Act
    const lines = formatPlan(report).split('\n');

    // Assess
    expect(lines).toEqual([
      '?      r.corp/web:1  (presence unknown: ENOENT; wanted by Deployment shop/web)',
      'WARN   runtime unreachable, image presence unknown: ENOENT',
      '',
    ]);
  });
});
