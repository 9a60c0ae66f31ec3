// Settings of the runner's SELinux MCS checks and relabelling.
import { z } from 'zod';
import { Duration, httpUrl, SecretRef } from '../common.ts';

export const SelinuxElasticsearch = z
  .object({
    node: httpUrl('`apiKey` (or `username` + `password`)').describe(
      'Elasticsearch URL the findings are indexed into.',
    ),
    index: z
      .string()
      .min(1)
      .default('imagewarden-selinux')
      .describe('Index of the findings (one document per finding key).'),
    apiKey: SecretRef.optional().describe('API key (a secret reference).'),
    username: z.string().optional().describe('Basic auth user, when no API key.'),
    password: SecretRef.optional().describe('Basic auth password (a secret reference).'),
  })
  .strict();

export const RunnerSelinuxSection = z
  .object({
    enabled: z.boolean().default(true).describe('Check container and volume MCS levels in node passes.'),
    labelKey: z
      .string()
      .default('imagewarden.io/selinux-context')
      .describe('Namespace label holding the level in the seed form `593-693` (meaning s0:c593,c693).'),
    relabel: z
      .boolean()
      .default(false)
      .describe(
        'Rewrite the level of drifted files (keeping user, role and type) inside the volume roots; never restorecon.',
      ),
    podsRoot: z
      .string()
      .default('/var/lib/kubelet/pods')
      .describe(
        "The kubelet's pods directory: tenant volumes are mount sources under <podsRoot>/<uid>/volumes/.",
      ),
    volumeRoots: z
      .array(z.string())
      .default([])
      .describe(
        'Extra roots relabelling may write under (podsRoot always counts); system paths are refused anyway.',
      ),
    fileBudget: z
      .number()
      .int()
      .min(1)
      .default(1_000_000)
      .describe('Most entries checked per volume per pass.'),
    timeBudget: Duration.prefault('5m').describe(
      'Longest walk of one volume per pass; a walk stuck on a hung mount is abandoned (its getfattr killed) and reported.',
    ),
    systemNamespaces: z
      .array(z.string())
      .default(['kube-*', 'openshift*', 'default', 'imagewarden*'])
      .describe('Name globs of namespaces that are not tenants (no level expected there).'),
    events: z.boolean().default(true).describe('Record findings as Kubernetes Events on their namespace.'),
    maxEvents: z.number().int().min(0).default(50).describe('Most Events recorded per run.'),
    elasticsearch: SelinuxElasticsearch.optional().describe(
      'Also index findings in Elasticsearch, for the notify function to email the security contact.',
    ),
  })
  .strict();
export type RunnerSelinuxSection = z.infer<typeof RunnerSelinuxSection>;
