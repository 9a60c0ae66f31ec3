// Reading the desired set a node Job is handed: the file the fan-out writes (gzipped JSON) and
// the pull secrets beside it; a set for another node, a damaged file or a promised but missing
// secrets file stops the pass with a message naming the file, and a set of another format
// version (a fan-out of another release) with a message naming both versions.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HANDED_SET_API_VERSION,
  type HandedSet,
  readHandedSet,
  toHandedImage,
} from '../../../../runner/desired/handed-set.ts';
import { desired } from '../fakes.ts';

const set = (extra: Partial<HandedSet> = {}): HandedSet => ({
  apiVersion: HANDED_SET_API_VERSION,
  kind: 'DesiredSet',
  node: 'n1',
  runId: '202603011200',
  containerRuntimeVersion: 'cri-o://1.30.1',
  credentials: false,
  images: [toHandedImage(desired('r.corp/web:1', { reasons: ['Deployment shop/web'] }), ['shop/regcred'])],
  counts: { workloads: 1, ownedSkipped: 0, inactiveSkipped: 0, notSchedulable: 0, filtered: 0 },
  malformed: [],
  listFailures: [],
  invalidObjects: [],
  secretProblems: [],
  ...extra,
});

describe('readHandedSet', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iw-handed-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const write = async (value: unknown, name = 'desired-set.json.gz') => {
    const file = join(dir, name);
    await writeFile(file, name.endsWith('.gz') ? gzipSync(JSON.stringify(value)) : JSON.stringify(value));
    return file;
  };

  it('gives the images with their resolved pull secrets, the node runtime and the handed secrets', async () => {
    // Prepare
    const file = await write(set({ credentials: true }));
    const secret = { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': 'e30=' } };
    await write({ secrets: { 'shop/regcred': secret } }, 'pull-secrets.json');
    // Act
    const handed = await readHandedSet(file, 'n1');
    // Assess
    expect(handed.set.images.map((i) => [i.reference, i.pullSecrets, i.serviceAccounts])).toEqual([
      ['r.corp/web:1', [{ namespace: 'shop', name: 'regcred' }], []],
    ]);
    expect(handed.node.status?.nodeInfo?.containerRuntimeVersion).toBe('cri-o://1.30.1');
    expect(handed.secrets.get('shop/regcred')).toMatchObject({
      metadata: { namespace: 'shop', name: 'regcred' },
      ...secret,
    });
  });

  it('refuses a set made for another node', async () => {
    const file = await write(set({ node: 'n2' }));
    await expect(readHandedSet(file, 'n1')).rejects.toThrow(/is for node n2, not n1/);
  });

  it('names the file and field of a damaged set, and a promised secrets file that is missing', async () => {
    const bad = await write({ ...set(), images: [{ reference: 42 }] });
    await expect(readHandedSet(bad, 'n1')).rejects.toThrow(/desired-set\.json\.gz: images\.0\.reference/);
    const promised = await write(set({ credentials: true }));
    await expect(readHandedSet(promised, 'n1')).rejects.toThrow(
      /cannot read handed pull secrets .*pull-secrets\.json/,
    );
  });

  it('refuses a set of another format version, naming both, before reading any field', async () => {
    // Prepare: what a fan-out of the previous release writes (no SELinux section, v1)
    const { selinux: _none, ...rest } = set();
    const file = await write({ ...rest, apiVersion: 'imagewarden.io/v1' });
    // Act + Assess
    await expect(readHandedSet(file, 'n1')).rejects.toThrow(
      /format "imagewarden\.io\/v1", but this runner reads imagewarden\.io\/v2: the fan-out and the node Jobs run different imagewarden releases/,
    );
  });

  it('gives the SELinux section as handed: levels of the pods and the namespace keys', async () => {
    // Prepare
    const selinux = {
      labelKey: 'example.com/selinux-context',
      namespaces: [{ name: 'shop', labels: { 'example.com/selinux-context': '5-6' }, annotations: {} }],
      pods: [
        {
          metadata: { name: 'web', namespace: 'shop', uid: 'u1' },
          spec: { securityContext: { seLinuxOptions: { level: 's0:c5,c6' } }, containers: [] },
        },
      ],
    };
    const file = await write(set({ selinux }));
    // Act
    const handed = await readHandedSet(file, 'n1');
    // Assess
    expect(handed.selinux).toEqual(selinux);
    const without = await readHandedSet(await write(set(), 'plain.json.gz'), 'n1');
    expect(without.selinux).toBeUndefined();
  });
});
