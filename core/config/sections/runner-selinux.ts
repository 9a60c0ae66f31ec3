// Settings of the runner's SELinux MCS checks and relabelling.
import { z } from 'zod';
import { Duration } from '../common.ts';

export const RunnerSelinuxSection = z
  .object({
    enabled: z.boolean().default(true),
    labelKey: z.string().default('imagewarden.io/selinux-context'),
    relabel: z.boolean().default(false),
    podsRoot: z.string().default('/var/lib/kubelet/pods'),
    fileBudget: z.number().int().min(1).default(1_000_000),
    timeBudget: Duration.prefault('5m'),
  })
  .strict();
