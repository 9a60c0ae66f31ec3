// Settings of the node runner: seed, prune, SELinux checks and the CronJob fan-out.
import { z } from 'zod';
import { Duration, TimeZone } from '../common.ts';

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
    prune: z
      .object({
        enabled: z.boolean().default(true),
        schedule: z.string().default('0 3 * * *'),
        timeZone: TimeZone.default('UTC'),
        retention: Duration.prefault('72h'),
        highWatermark: z.number().min(1).max(100).default(85),
        lowWatermark: z.number().min(1).max(100).default(75),
        /** Images carrying this label (key=value) are managed too, besides those the runner pulled. */
        labelSelector: z.string().optional(),
      })
      .strict()
      .prefault({}),
    selinux: z
      .object({
        enabled: z.boolean().default(true),
        labelKey: z.string().default('imagewarden.io/selinux-context'),
        relabel: z.boolean().default(false),
        podsRoot: z.string().default('/var/lib/kubelet/pods'),
        fileBudget: z.number().int().min(1).default(1_000_000),
        timeBudget: Duration.prefault('5m'),
      })
      .strict()
      .prefault({}),
    fanout: z
      .object({
        namespace: z.string().default('imagewarden'),
        image: z.string().default('ghcr.io/imagewarden/runner:0.1.0'),
        nodeSelector: z.record(z.string(), z.string()).default({}),
        maxConcurrentJobs: z.number().int().min(1).max(500).default(10),
        tolerations: z.array(z.record(z.string(), z.unknown())).default([{ operator: 'Exists' }]),
        activeDeadline: Duration.prefault('50m'),
        ttlAfterFinished: Duration.prefault('1h'),
        backoffLimit: z.number().int().min(0).max(10).default(1),
      })
      .strict()
      .prefault({}),
  })
  .strict();
