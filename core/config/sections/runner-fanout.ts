// Settings of the CronJob fan-out that starts one runner Job per node.
import { z } from 'zod';
import { Duration } from '../common.ts';

export const RunnerFanoutSection = z
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
  .strict();
