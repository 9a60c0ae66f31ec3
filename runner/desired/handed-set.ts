// The desired set one node Job is handed by the fan-out: the fan-out lists the cluster once per
// tick, builds every node's set and writes each to a ConfigMap (desired-set.json) and, when the
// set needs registry credentials, a Secret (pull-secrets.json) that both belong to that node's
// Job. With the SELinux checks on, the set also carries what they read from the API (the
// node's pods and their namespaces, see selinux/handed-selinux.ts). The node pass then lists
// nothing and reads no Secret. This file is the format on both sides; the node side parses it
// with the same schema, so a set for another node, another format version or a damaged file
// stops the pass with a message instead of seeding the wrong images.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { ConfigError, errorMessage, ValidationError } from '../../core/errors.ts';
import { tryParseImageReference } from '../../core/image-reference.ts';
import {
  type InvalidItem,
  type KubeNode,
  type KubeSecret,
  WORKLOAD_KINDS,
  type WorkloadKind,
} from '../cluster/types.ts';
import { HandedSelinux } from '../selinux/handed-selinux.ts';
import type { DesiredImage, DesiredSet, MalformedImage, PullSecretRef } from './desired-set.ts';

/** Gzipped JSON in the ConfigMap's binaryData: a set is repetitive text (registry, namespaces)
 * and shrinks about tenfold, which the API server, the kubelet and the 1 MiB limit all feel. */
export const HANDED_SET_FILE = 'desired-set.json.gz';
export const HANDED_SECRETS_FILE = 'pull-secrets.json';
/**
 * The format version; bumped whenever a field's meaning changes or a field an older reader would
 * silently drop is added (v2: the SELinux section), so a fan-out and a node runner of different
 * releases stop with a message instead of misreading each other.
 */
export const HANDED_SET_API_VERSION = 'imagewarden.io/v2';

/** At most this many reasons per image are handed over (the count stays exact); a ConfigMap holds 1 MiB. */
export const MAX_HANDED_REASONS = 10;

const SecretProblem = z.object({ secret: z.string(), message: z.string() });
export type SecretProblem = z.infer<typeof SecretProblem>;

const HandedImage = z.object({
  reference: z.string().min(1),
  reasons: z.array(z.string()),
  workloads: z.number().int().nonnegative(),
  warm: z.boolean(),
  scaledToZero: z.boolean(),
  /** Pull secrets (`namespace/name`) of the workloads and their service accounts, already resolved. */
  pullSecrets: z.array(z.string()),
});
export type HandedImage = z.infer<typeof HandedImage>;

export const HandedSet = z.object({
  apiVersion: z.literal(HANDED_SET_API_VERSION),
  kind: z.literal('DesiredSet'),
  node: z.string().min(1),
  runId: z.string(),
  /** What the kubelet runs: the node pass compares it with the runtime it reaches. */
  containerRuntimeVersion: z.string().optional(),
  /** Whether pull-secrets.json is handed too (a Secret beside the ConfigMap). */
  credentials: z.boolean(),
  images: z.array(HandedImage),
  counts: z.object({
    workloads: z.number(),
    ownedSkipped: z.number(),
    inactiveSkipped: z.number(),
    notSchedulable: z.number(),
    filtered: z.number(),
  }),
  malformed: z.array(
    z.object({ workload: z.string(), container: z.string(), image: z.unknown(), message: z.string() }),
  ),
  listFailures: z.array(z.object({ kind: z.enum(WORKLOAD_KINDS), message: z.string() })),
  invalidObjects: z.array(
    z.object({
      kind: z.string(),
      namespace: z.string().optional(),
      name: z.string().optional(),
      message: z.string(),
    }),
  ),
  secretProblems: z.array(SecretProblem),
  /** What the SELinux checks read from the API; absent when the fan-out runs with them off. */
  selinux: HandedSelinux.optional(),
});
export type HandedSet = z.infer<typeof HandedSet>;

/** The Secret's one file: the pull secrets this node's images name, as the API served them. */
export const HandedSecrets = z.object({
  secrets: z.record(
    z.string(),
    z.object({ type: z.string().optional(), data: z.record(z.string(), z.string()) }),
  ),
});
export type HandedSecrets = z.infer<typeof HandedSecrets>;

export const secretId = (ref: PullSecretRef): string => `${ref.namespace}/${ref.name}`;

/** The handed form of one image: reasons capped, pull secrets resolved by the fan-out. */
export function toHandedImage(image: DesiredImage, pullSecrets: readonly string[]): HandedImage {
  return {
    reference: image.reference,
    reasons: image.reasons.slice(0, MAX_HANDED_REASONS),
    workloads: image.workloads,
    warm: image.warm,
    scaledToZero: image.scaledToZero,
    pullSecrets: [...pullSecrets].sort(),
  };
}

export interface HandedDesired {
  set: DesiredSet;
  node: KubeNode;
  listFailures: { kind: WorkloadKind; message: string }[];
  invalidObjects: InvalidItem[];
  /** The handed pull secrets by `namespace/name`, served to loadPullCredentials in place of the API. */
  secrets: Map<string, KubeSecret>;
  secretProblems: SecretProblem[];
  /** Namespaces and pods for the SELinux step (absent: the fan-out had the checks off). */
  selinux: HandedSelinux | undefined;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    const bytes = await readFile(file);
    text = (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (error) {
    throw new ConfigError(`runner.desiredSet: cannot read ${what} ${file}: ${errorMessage(error)}`, [], {
      cause: error,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ValidationError(`${what} ${file}`, `not JSON: ${errorMessage(error)}`, { cause: error });
  }
}

function issues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** The format version first, so a fan-out of another release is named as such, not as a bad field. */
function checkVersion(raw: unknown, file: string): void {
  const version = (raw as { apiVersion?: unknown } | null)?.apiVersion;
  if (version === HANDED_SET_API_VERSION) return;
  throw new ValidationError(
    `handed desired set ${file}`,
    `format ${JSON.stringify(version)}, but this runner reads ${HANDED_SET_API_VERSION}: the fan-out and the node Jobs run different imagewarden releases (leave runner.fanout.image unset, so node Jobs run the fan-out pod's own image, or keep it equal to the CronJob's)`,
  );
}

/** Reads the set handed to `nodeName` (and its pull secrets, when it says there are some). */
export async function readHandedSet(file: string, nodeName: string): Promise<HandedDesired> {
  const raw = await readJson(file, 'handed desired set');
  checkVersion(raw, file);
  const parsed = HandedSet.safeParse(raw);
  if (!parsed.success) throw new ValidationError(`handed desired set ${file}`, issues(parsed.error));
  const handed = parsed.data;
  if (handed.node !== nodeName) {
    throw new ValidationError(
      `handed desired set ${file}`,
      `it is for node ${handed.node}, not ${nodeName}; refusing to seed another node's images`,
    );
  }
  const secrets = new Map<string, KubeSecret>();
  if (handed.credentials) {
    const secretsFile = join(dirname(file), HANDED_SECRETS_FILE);
    const raw = HandedSecrets.safeParse(await readJson(secretsFile, 'handed pull secrets'));
    if (!raw.success) throw new ValidationError(`handed pull secrets ${secretsFile}`, issues(raw.error));
    for (const [id, secret] of Object.entries(raw.data.secrets)) {
      const [namespace = '', name = ''] = id.split('/', 2);
      secrets.set(id, { metadata: { namespace, name }, ...secret });
    }
  }
  const images: DesiredImage[] = [];
  const malformed: MalformedImage[] = [...handed.malformed];
  for (const image of handed.images) {
    const ref = tryParseImageReference(image.reference);
    if (!ref.ok) {
      malformed.push({
        workload: image.reasons[0] ?? 'handed set',
        container: '-',
        image: image.reference,
        message: ref.error.message,
      });
      continue;
    }
    const pullSecrets = image.pullSecrets.map((id) => {
      const [namespace = '', name = ''] = id.split('/', 2);
      return { namespace, name };
    });
    images.push({
      reference: image.reference,
      ref: ref.ref,
      reasons: image.reasons,
      workloads: image.workloads,
      warm: image.warm,
      scaledToZero: image.scaledToZero,
      pullSecrets,
      // the fan-out folded the service accounts' imagePullSecrets into pullSecrets already
      serviceAccounts: [],
    });
  }
  return {
    set: { images, malformed, counts: handed.counts },
    node: {
      metadata: { name: handed.node },
      spec: {},
      ...(handed.containerRuntimeVersion
        ? { status: { nodeInfo: { containerRuntimeVersion: handed.containerRuntimeVersion } } }
        : {}),
    },
    listFailures: handed.listFailures,
    invalidObjects: handed.invalidObjects,
    secrets,
    secretProblems: handed.secretProblems,
    selinux: handed.selinux,
  };
}
