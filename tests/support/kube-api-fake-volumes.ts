// What the kubelet does with a pod's ConfigMap, Secret and projected volumes, played against the
// Kubernetes API fake: each source object is read from the fake's store and its keys (or the
// listed items) become files in a directory, Secret values base64-decoded. A source that does
// not exist (and is not optional) or lacks a listed key throws, as the kubelet then never starts
// the pod. Lets a test run a node pass on exactly the files a Job's pod would see.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { V1Volume } from '@kubernetes/client-node';
import type { KubeApiFake } from './kube-api-fake.ts';

interface Source {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  items?: { key: string; path: string }[] | undefined;
  optional?: boolean | undefined;
}

function sourcesOf(volume: V1Volume): Source[] {
  if (volume.configMap?.name)
    return [
      {
        kind: 'ConfigMap',
        name: volume.configMap.name,
        items: volume.configMap.items,
        optional: volume.configMap.optional,
      },
    ];
  if (volume.secret?.secretName)
    return [
      {
        kind: 'Secret',
        name: volume.secret.secretName,
        items: volume.secret.items,
        optional: volume.secret.optional,
      },
    ];
  return (volume.projected?.sources ?? []).flatMap((source): Source[] => {
    if (source.configMap?.name)
      return [
        {
          kind: 'ConfigMap',
          name: source.configMap.name,
          items: source.configMap.items,
          optional: source.configMap.optional,
        },
      ];
    if (source.secret?.name)
      return [
        {
          kind: 'Secret',
          name: source.secret.name,
          items: source.secret.items,
          optional: source.secret.optional,
        },
      ];
    throw new Error(`volume ${volume.name}: a projected source this helper does not serve`);
  });
}

/** Writes the files of `volume` (configMap, secret or projected) into `dir`, as the kubelet mounts them. */
export async function materializeVolume(
  api: KubeApiFake,
  namespace: string,
  volume: V1Volume,
  dir: string,
): Promise<string[]> {
  const written: string[] = [];
  for (const source of sourcesOf(volume)) {
    const object = api.get(source.kind, source.name, namespace) as
      | { data?: Record<string, string>; binaryData?: Record<string, string> }
      | undefined;
    if (!object) {
      if (source.optional) continue;
      throw new Error(`volume ${volume.name}: ${source.kind} ${namespace}/${source.name} not found`);
    }
    // Secret data and ConfigMap binaryData are base64; ConfigMap data is text
    const files = new Map<string, Buffer>();
    for (const [key, value] of Object.entries(object.data ?? {}))
      files.set(key, source.kind === 'Secret' ? Buffer.from(value, 'base64') : Buffer.from(value));
    for (const [key, value] of Object.entries(object.binaryData ?? {}))
      files.set(key, Buffer.from(value, 'base64'));
    const items = source.items ?? [...files.keys()].map((key) => ({ key, path: key }));
    for (const { key, path } of items) {
      const value = files.get(key);
      if (value === undefined)
        throw new Error(
          `volume ${volume.name}: ${source.kind} ${namespace}/${source.name} has no key ${key}`,
        );
      const file = join(dir, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, value);
      written.push(path);
    }
  }
  return written.sort();
}
