// Real pod containers on the private containerd, made through the CRI as the kubelet makes
// them (tests/support/cri-kubelet.ts: a sandbox on the node's network, one container): what
// the runner reads of them through its CRI adapter, and prune refusing an image that an
// exited container still uses. The images carry the host's /bin/true and /bin/sleep with the
// libraries they need; the sandbox ("pause") image is one of them running sleep.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, ManualClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import { pruneImages } from '../../runner/prune/prune.ts';
import { CriImageRuntime } from '../../runner/runtime/CriImageRuntime.ts';
import { ImageInUseError } from '../../runner/runtime/errors.ts';
import { type Containerd, startContainerd } from '../support/containerd.ts';
import { type KubeletCri, kubeletCri } from '../support/cri-kubelet.ts';
import { pushImage } from '../support/images.ts';
import { pruneOptions } from '../support/prune-options.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';

const clock = new ManualClock('2026-03-10T12:00:00Z');
const ago = (h: number) => new Date(clock.now().getTime() - h * HOUR_MS).toISOString();

let registry: TestRegistry;
let daemon: Containerd;
let cri: CriImageRuntime;
let kubelet: KubeletCri;
let logs: string;
const ref = (name: string) => `${registry.host}/team/${name}:1`;

beforeAll(async () => {
  registry = await startRegistry({ auth: 'none' });
  const hostFile = async (path: string) => ({
    name: path.slice(1),
    content: await readFile(path),
    mode: 0o755,
  });
  const files = await Promise.all(
    ['/bin/true', '/bin/sleep', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2'].map(
      hostFile,
    ),
  );
  const pause = await pushImage(registry, {
    repository: 'pause',
    tag: '1',
    files,
    cmd: ['/bin/sleep', '3600'],
  });
  for (const name of ['used', 'running', 'unused']) {
    // a distinct layer per image, so each is its own image in the store
    await pushImage(registry, {
      repository: `team/${name}`,
      tag: '1',
      files: [...files, { name: 'who', content: name }],
    });
  }
  daemon = await startContainerd({ sandboxImage: pause.reference });
  daemon.addPlainHttpRegistry(registry.host);
  cri = new CriImageRuntime({ socket: daemon.socket });
  logs = await mkdtemp(join(tmpdir(), 'iw-cri-logs-'));
  kubelet = kubeletCri(daemon.socket, logs);
  for (const name of ['used', 'running', 'unused']) await cri.pullImage(ref(name));
});

afterAll(async () => {
  await kubelet?.removeAll();
  kubelet?.close();
  cri?.close();
  await Promise.allSettled([daemon?.stop(), registry?.stop()]);
  if (logs) await rm(logs, { recursive: true, force: true });
});

describe('real pod containers through the CRI (containerd)', () => {
  it('an exited container is listed with its image and pod labels, and its status names its pod', async () => {
    // Act
    const pod = await kubelet.runToExit(
      { namespace: 'team-a', name: 'job-1', uid: 'uid-job-1' },
      ref('used'),
      ['/bin/true'],
    );
    const listed = (await cri.listContainers()).find((c) => c.id === pod.containerId);
    const inspected = await cri.inspectContainer(pod.containerId);

    // Assess
    expect(pod.exitCode).toBe(0);
    expect(listed).toMatchObject({ state: 'exited', names: ['main'] });
    expect(listed?.labels).toMatchObject({
      'io.kubernetes.pod.namespace': 'team-a',
      'io.kubernetes.pod.name': 'job-1',
      'io.kubernetes.pod.uid': 'uid-job-1',
      'io.kubernetes.container.name': 'main',
    });
    const image = await cri.inspectImage(ref('used'));
    expect(listed?.imageId).toBe(image?.id);
    expect(inspected).toMatchObject({ id: pod.containerId, state: 'exited' });
    expect(inspected?.labels['io.kubernetes.pod.namespace']).toBe('team-a');
  });

  it('a running container has a live pid in its verbose status', async () => {
    // Act
    const pod = await kubelet.run({ namespace: 'team-b', name: 'web-1', uid: 'uid-web-1' }, ref('running'), [
      '/bin/sleep',
      '3600',
    ]);
    const inspected = await cri.inspectContainer(pod.containerId);
    await kubelet.removePod(pod.sandboxId);

    // Assess
    expect(inspected?.state).toBe('running');
    expect(inspected?.pid).toBeGreaterThan(1);
  });

  it('removing an image an exited container uses is refused as in use; prune keeps it and removes the unused one', async () => {
    // Prepare: `used` backs the exited container of the first test; both are managed and expired
    const stateImages = {
      [ref('used')]: { managed: true, lastDesired: ago(200) },
      [ref('unused')]: { managed: true, lastDesired: ago(200) },
    };

    // Act
    const refusal = await cri.removeImage(ref('used')).catch((error: unknown) => error);
    const result = await pruneImages(
      { runtime: cri, logger: silentLogger(), clock },
      pruneOptions(stateImages, { lastPrune: { at: ago(48), removed: 0, reclaimedBytes: 0 } }),
    );

    // Assess
    expect(refusal).toBeInstanceOf(ImageInUseError);
    expect(String(refusal)).toMatch(/in use by 1 container\(s\): main \(exited\)/);
    expect(result.removed.map((r) => r.references[0])).toEqual([ref('unused')]);
    const tags = (await cri.listImages()).flatMap((i) => i.repoTags);
    expect(tags).toContain(ref('used'));
    expect(tags).not.toContain(ref('unused'));
  });
});
