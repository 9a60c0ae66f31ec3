// The desired image set of one node, from workloads already read from the API: every image
// of a container or init container whose pod could schedule here, plus the warm list, minus
// filtered patterns. Controller-owned objects contribute through their owner's template
// (old ReplicaSets of a Deployment are history; controller Pods repeat their template),
// unless the owner's kind could not be listed this run, when they count on their own.
import {
  formatImageReference,
  type ImageReference,
  tryParseImageReference,
  withDefaultTag,
} from '../../core/image-reference.ts';
import { type KubeNode, WORKLOAD_KINDS, type Workload, type WorkloadKind } from '../cluster/types.ts';
import { fitsNode } from './node-fit.ts';
import { imageFilter } from './patterns.ts';

export interface PullSecretRef {
  namespace: string;
  name: string;
}

export interface DesiredImage {
  /** Canonical reference (`domain/path:tag[@digest]`), the key of the set. */
  reference: string;
  ref: ImageReference;
  /** Why it is wanted: `warm list`, `Deployment shop/web`, ... */
  reasons: string[];
  workloads: number;
  warm: boolean;
  /** Wanted by a workload scaled to zero: exactly the ones whose start must be fast. */
  scaledToZero: boolean;
  pullSecrets: PullSecretRef[];
  /** Service accounts the wanting pods run as: their imagePullSecrets apply too. */
  serviceAccounts: PullSecretRef[];
}

export interface MalformedImage {
  workload: string;
  container: string;
  image: unknown;
  message: string;
}

export interface DesiredSetInput {
  node: KubeNode;
  workloads: readonly Workload[];
  /** Kinds whose list failed this run: their dependents are not skipped as owned. */
  unlistedKinds?: readonly WorkloadKind[];
  warm?: readonly string[];
  include?: readonly string[];
  exclude?: readonly string[];
  /** Suspended CronJobs and unfinished Jobs count, like apps scaled to zero (default true). */
  includeSuspended?: boolean;
}

export interface DesiredSet {
  /** In priority order: warm, scaled-to-zero, then by number of workloads. */
  images: DesiredImage[];
  malformed: MalformedImage[];
  counts: {
    workloads: number;
    ownedSkipped: number;
    inactiveSkipped: number;
    notSchedulable: number;
    filtered: number;
  };
}

const OWNER_KINDS = new Set<string>(WORKLOAD_KINDS.filter((kind) => kind !== 'Pod'));

export function workloadId(workload: Pick<Workload, 'kind' | 'namespace' | 'name'>): string {
  return `${workload.kind} ${workload.namespace}/${workload.name}`;
}

export function priorityOrder(a: DesiredImage, b: DesiredImage): number {
  return (
    Number(b.warm) - Number(a.warm) ||
    Number(b.scaledToZero) - Number(a.scaledToZero) ||
    b.workloads - a.workloads ||
    a.reference.localeCompare(b.reference)
  );
}

export function buildDesiredSet(input: DesiredSetInput): DesiredSet {
  const unlisted = new Set<string>(input.unlistedKinds ?? []);
  const filter = imageFilter(input.include ?? [], input.exclude ?? []);
  const images = new Map<string, DesiredImage>();
  const malformed: MalformedImage[] = [];
  const counts = { workloads: 0, ownedSkipped: 0, inactiveSkipped: 0, notSchedulable: 0, filtered: 0 };
  const filtered = new Set<string>();

  const addUnique = (list: PullSecretRef[], item: PullSecretRef) => {
    if (!list.some((s) => s.namespace === item.namespace && s.name === item.name)) list.push(item);
  };
  const want = (
    ref: ImageReference,
    reason: string,
    extra: Partial<DesiredImage>,
    secrets: PullSecretRef[],
    serviceAccount?: PullSecretRef,
  ) => {
    const normal = withDefaultTag(ref);
    const reference = formatImageReference(normal);
    const entry = images.get(reference) ?? {
      reference,
      ref: normal,
      reasons: [],
      workloads: 0,
      warm: false,
      scaledToZero: false,
      pullSecrets: [],
      serviceAccounts: [],
    };
    if (!entry.reasons.includes(reason)) {
      entry.reasons.push(reason);
      if (!extra.warm) entry.workloads += 1;
    }
    entry.warm ||= extra.warm ?? false;
    entry.scaledToZero ||= extra.scaledToZero ?? false;
    for (const secret of secrets) addUnique(entry.pullSecrets, secret);
    if (serviceAccount) addUnique(entry.serviceAccounts, serviceAccount);
    images.set(reference, entry);
  };

  for (const workload of input.workloads) {
    const controller = workload.ownerReferences.find((owner) => owner.controller === true);
    if (controller && OWNER_KINDS.has(controller.kind) && !unlisted.has(controller.kind)) {
      counts.ownedSkipped += 1;
      continue;
    }
    if (workload.inactive || (workload.suspended && input.includeSuspended === false)) {
      counts.inactiveSkipped += 1;
      continue;
    }
    counts.workloads += 1;
    if (!fitsNode(workload.podSpec, input.node, workload.kind).fits) {
      counts.notSchedulable += 1;
      continue;
    }
    const id = workloadId(workload);
    const secrets = (workload.podSpec.imagePullSecrets ?? [])
      .filter((secret): secret is { name: string } => typeof secret.name === 'string' && secret.name !== '')
      .map((secret) => ({ namespace: workload.namespace, name: secret.name }));
    const containers = [...(workload.podSpec.initContainers ?? []), ...workload.podSpec.containers];
    for (const container of containers) {
      const parsed =
        typeof container.image === 'string' && container.image.trim() !== ''
          ? tryParseImageReference(container.image)
          : undefined;
      if (!parsed?.ok) {
        malformed.push({
          workload: id,
          container: container.name,
          image: container.image,
          message: parsed ? parsed.error.message : 'image is missing or not a string',
        });
        continue;
      }
      const rejected = filter.rejects(parsed.ref);
      if (rejected) {
        filtered.add(formatImageReference(withDefaultTag(parsed.ref)));
        continue;
      }
      want(parsed.ref, id, { scaledToZero: workload.replicas === 0 }, secrets, {
        namespace: workload.namespace,
        name: workload.podSpec.serviceAccountName || 'default',
      });
    }
  }

  for (const image of input.warm ?? []) {
    const parsed = tryParseImageReference(image);
    if (!parsed.ok) {
      malformed.push({ workload: 'warm list', container: '-', image, message: parsed.error.message });
      continue;
    }
    want(parsed.ref, 'warm list', { warm: true }, []);
  }
  counts.filtered = [...filtered].filter((reference) => !images.has(reference)).length;
  return { images: [...images.values()].sort(priorityOrder), malformed, counts };
}
