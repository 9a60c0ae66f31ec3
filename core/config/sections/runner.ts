// Settings of the node runner's seed pass; prune, SELinux and fan-out have their own files.
import { z } from 'zod';
import { Duration } from '../common.ts';
import { RunnerFanoutSection } from './runner-fanout.ts';
import { RunnerPruneSection } from './runner-prune.ts';
import { RunnerSelinuxSection } from './runner-selinux.ts';

export const RunnerSection = z
  .object({
    /** This node's name; in a Job it comes from the downward API (NODE_NAME). */
    nodeName: z.string().optional(),
    /** Docker Engine API socket (Podman's compatible socket works too). */
    socket: z.string().default('/var/run/docker.sock'),
    stateDir: z.string().default('/var/lib/imagewarden'),
    reportFile: z.string().optional(),
    /** Images always kept warm on every node. */
    warm: z.array(z.string()).default([]),
    /** Registry or repository globs; an image must match one include (if any) and no exclude. */
    include: z.array(z.string()).default([]),
    exclude: z.array(z.string()).default([]),
    /** Mounted dockerconfigjson used when workloads carry no pull secret. */
    dockerConfig: z.string().optional(),
    pullConcurrency: z.number().int().min(1).max(16).default(3),
    pullTimeout: Duration.prefault('15m'),
    pullRetries: z.number().int().min(0).max(10).default(3),
    /** Stop starting pulls when the image store's filesystem has less free space than this. */
    minFreeBytes: z
      .number()
      .int()
      .nonnegative()
      .default(5 * 1024 ** 3),
    imageStorePath: z.string().default('/var/lib/docker'),
    prune: RunnerPruneSection.prefault({}),
    selinux: RunnerSelinuxSection.prefault({}),
    fanout: RunnerFanoutSection.prefault({}),
  })
  .strict();
