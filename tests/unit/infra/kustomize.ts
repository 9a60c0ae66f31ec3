// A small kustomize build for the tests: resources (files and directories), `namespace`,
// strategic-merge patches of maps (null deletes a key, as in kustomize), and the `images`
// transformer (name, newName, newTag, digest) on pod templates' containers. Anything else in a
// kustomization (generators, JSON6902, list merges) throws, so the tests can never pass on a
// feature this assembly silently ignores. Cross-checked: for all three overlays its
// output was identical (deep-equal, object by object) to `kubectl kustomize` (kustomize
// v5.5.0) before `images` was used; the images transformer here follows kustomize's documented
// semantics and was not cross-checked. kubectl is not a CI dependency, so that comparison is not a test.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'Node']);
const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'patches', 'images']);
const IMAGE_KEYS = new Set(['name', 'newName', 'newTag', 'digest']);

interface ImageEntry {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

type Plain = Record<string, unknown>;
const isPlain = (value: unknown): value is Plain =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every document of a YAML file, as plain objects; throws on any parse error. */
export function readYamlDocuments(path: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  const list = Array.isArray(docs) ? docs : [docs];
  return list
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
      return doc.toJSON() as unknown;
    })
    .filter((doc) => doc !== null && doc !== undefined);
}

function strategicMerge(target: Plain, patch: Plain, where: string): Plain {
  const out: Plain = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const path = `${where}.${key}`;
    if (value === null) delete out[key];
    else if (isPlain(value) && isPlain(out[key])) out[key] = strategicMerge(out[key] as Plain, value, path);
    else if (Array.isArray(value) && Array.isArray(out[key]))
      throw new Error(`${path}: list merges are not supported by this test's kustomize assembly`);
    else out[key] = value;
  }
  return out;
}

export function kustomizeBuild(dir: string): Resource[] {
  const [kustomization] = readYamlDocuments(join(dir, 'kustomization.yaml')) as Plain[];
  if (!kustomization) throw new Error(`${dir}: empty kustomization.yaml`);
  for (const key of Object.keys(kustomization))
    if (!SUPPORTED.has(key))
      throw new Error(`${dir}: kustomization field "${key}" not supported by the test assembly`);
  let resources: Resource[] = [];
  for (const entry of (kustomization.resources as string[] | undefined) ?? []) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) resources.push(...kustomizeBuild(path));
    else resources.push(...(readYamlDocuments(path) as Resource[]));
  }
  for (const patchEntry of (kustomization.patches as Plain[] | undefined) ?? []) {
    if (Object.keys(patchEntry).some((key) => key !== 'path'))
      throw new Error(`${dir}: only path-only strategic-merge patches are supported`);
    for (const patch of readYamlDocuments(join(dir, patchEntry.path as string)) as Resource[]) {
      const index = resources.findIndex(
        (r) => r.kind === patch.kind && r.metadata.name === patch.metadata.name,
      );
      if (index < 0)
        throw new Error(`${dir}: patch for ${patch.kind}/${patch.metadata.name} matches nothing`);
      resources[index] = strategicMerge(
        resources[index] as unknown as Plain,
        patch as unknown as Plain,
        `${patch.kind}/${patch.metadata.name}`,
      ) as unknown as Resource;
    }
  }
  const images = (kustomization.images as ImageEntry[] | undefined) ?? [];
  for (const entry of images) {
    if (Object.keys(entry).some((key) => !IMAGE_KEYS.has(key)) || typeof entry.name !== 'string')
      throw new Error(`${dir}: images entries take name, newName, newTag, digest only`);
  }
  if (images.length > 0) resources = resources.map((r) => withImages(r, images) as Resource);
  const namespace = kustomization.namespace as string | undefined;
  if (namespace) {
    resources = resources.map((r) =>
      CLUSTER_SCOPED.has(r.kind) ? r : { ...r, metadata: { ...r.metadata, namespace } },
    );
  }
  return resources;
}

/** An image's name without tag or digest, and what follows it (`:tag`, `@digest`, both or none). */
function splitImage(image: string): { name: string; rest: string } {
  const at = image.indexOf('@');
  const beforeDigest = at < 0 ? image : image.slice(0, at);
  const colon = beforeDigest.lastIndexOf(':');
  const end = colon > beforeDigest.lastIndexOf('/') ? colon : beforeDigest.length;
  return { name: image.slice(0, end), rest: image.slice(end) };
}

/** kustomize's images transformer: every container and initContainer image whose name matches. */
function withImages(value: unknown, images: ImageEntry[]): unknown {
  if (Array.isArray(value)) return value.map((item) => withImages(item, images));
  if (!isPlain(value)) return value;
  const out: Plain = {};
  for (const [key, child] of Object.entries(value)) {
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(child)) {
      out[key] = child.map((container: unknown) => {
        if (!isPlain(container) || typeof container.image !== 'string') return container;
        const { name, rest } = splitImage(container.image);
        const entry = images.find((e) => e.name === name);
        if (!entry) return container;
        const suffix =
          entry.digest !== undefined
            ? `@${entry.digest}`
            : entry.newTag !== undefined
              ? `:${entry.newTag}`
              : rest;
        return { ...container, image: `${entry.newName ?? name}${suffix}` };
      });
    } else out[key] = withImages(child, images);
  }
  return out;
}
