// A small kustomize build for the tests: resources (files and directories), `namespace`, and
// strategic-merge patches of maps (null deletes a key, as in kustomize). Anything else in a
// kustomization (generators, images, JSON6902, list merges) throws, so the tests can never
// pass on a feature this assembly silently ignores. Cross-checked: for all three overlays its
// output was identical (deep-equal, object by object) to `kubectl kustomize` (kustomize
// v5.5.0); kubectl is not a CI dependency, so that comparison is not a test.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'Node']);
const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'patches']);

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
  const namespace = kustomization.namespace as string | undefined;
  if (namespace) {
    resources = resources.map((r) =>
      CLUSTER_SCOPED.has(r.kind) ? r : { ...r, metadata: { ...r.metadata, namespace } },
    );
  }
  return resources;
}
