// The CRI adapter against the CRI protocol fake (tests/support/cri-fake.ts, a real gRPC
// server on a unix socket): the mapping of images, containers, verbose SELinux info and
// ImageFsInfo, and the removal guard for images that containers (exited ones too) use.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../../core/errors.ts';
import { CriImageRuntime } from '../../../../runner/runtime/CriImageRuntime.ts';
import { ImageInUseError } from '../../../../runner/runtime/errors.ts';
import { CriFake, type FakeCriContainer } from '../../../support/cri-fake.ts';

const ID = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;

const container = (overrides: Partial<FakeCriContainer> = {}): FakeCriContainer => ({
  id: 'c1',
  name: 'web',
  imageRef: ID,
  state: 'CONTAINER_RUNNING',
  labels: { 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.pod.name': 'web-1' },
  ...overrides,
});

describe('CriImageRuntime (cri-fake)', () => {
  let fake: CriFake;
  let runtime: CriImageRuntime;

  beforeEach(async () => {
    fake = await CriFake.start();
    fake.images = [
      {
        id: ID,
        repo_tags: ['r.corp/web:1'],
        repo_digests: [`r.corp/web@sha256:${'1'.repeat(64)}`],
        size: 5000,
      },
      { id: OTHER, repo_tags: ['r.corp/old:1'], repo_digests: [], size: 7000 },
    ];
    runtime = new CriImageRuntime({ socket: fake.socket });
  });
  afterEach(async () => {
    runtime.close();
    await fake.stop();
  });

  it('reports the runtime behind the socket from Version', async () => {
    expect(await runtime.info()).toEqual({
      kind: 'cri',
      name: 'containerd',
      version: '1.7.2',
      rootDir: undefined,
    });
  });

  it('lists images with their tags, digests and size', async () => {
    expect(await runtime.listImages()).toEqual([
      {
        id: ID,
        repoTags: ['r.corp/web:1'],
        repoDigests: [`r.corp/web@sha256:${'1'.repeat(64)}`],
        labels: {},
        size: 5000,
        created: undefined,
      },
      { id: OTHER, repoTags: ['r.corp/old:1'], repoDigests: [], labels: {}, size: 7000, created: undefined },
    ]);
    expect(await runtime.inspectImage('r.corp/nope:1')).toBeUndefined();
  });

  it('refuses to remove an image an exited container uses, without asking the runtime to remove it (cri-fake)', async () => {
    // Prepare
    fake.containers = [container({ id: 'done', name: 'migrate', state: 'CONTAINER_EXITED' })];

    // Act
    const removal = runtime.removeImage('r.corp/web:1');

    // Assess
    await expect(removal).rejects.toBeInstanceOf(ImageInUseError);
    await expect(removal).rejects.toThrow('r.corp/web:1: in use by 1 container(s): migrate (exited)');
    expect(fake.calls).not.toContain('RemoveImage');
    expect(fake.images.map((i) => i.id)).toContain(ID);
  });

  it('removes an image no container uses, by id (cri-fake)', async () => {
    fake.containers = [container()];
    await runtime.removeImage('r.corp/old:1');
    expect(fake.removed).toEqual([OTHER]);
  });

  it('maps container states, names and labels from ListContainers', async () => {
    fake.containers = [
      container(),
      container({ id: 'c2', state: 'CONTAINER_EXITED' }),
      container({ id: 'c3', state: 'CONTAINER_CREATED' }),
    ];
    const listed = await runtime.listContainers();
    expect(listed.map((c) => [c.id, c.state, c.imageId, c.names[0]])).toEqual([
      ['c1', 'running', ID, 'web'],
      ['c2', 'exited', ID, 'web'],
      ['c3', 'created', ID, 'web'],
    ]);
    expect(listed[0]?.labels['io.kubernetes.pod.name']).toBe('web-1');
  });

  it('reads the SELinux process and mount labels from the verbose runtime spec (containerd and CRI-O shape) (cri-fake)', async () => {
    // Prepare
    fake.containers = [
      container({
        mounts: [{ container_path: '/data', host_path: '/var/lib/kubelet/pods/u/volumes/x/data' }],
        info: {
          pid: 4242,
          runtimeSpec: {
            process: { selinuxLabel: 'system_u:system_r:container_t:s0:c100,c200' },
            linux: { mountLabel: 'system_u:object_r:container_file_t:s0:c100,c200' },
          },
        },
      }),
    ];

    // Act
    const details = await runtime.inspectContainer('c1');

    // Assess
    expect(details).toMatchObject({
      id: 'c1',
      state: 'running',
      pid: 4242,
      processLabel: 'system_u:system_r:container_t:s0:c100,c200',
      mountLabel: 'system_u:object_r:container_file_t:s0:c100,c200',
      securityOpt: [],
      mounts: [{ type: 'bind', source: '/var/lib/kubelet/pods/u/volumes/x/data', destination: '/data' }],
    });
    expect(fake.calls).toContain('ContainerStatus');
  });

  it('answers undefined for a container the runtime does not know', async () => {
    expect(await runtime.inspectContainer('gone')).toBeUndefined();
  });

  it('measures the image store against the node capacity from ImageFsInfo used bytes', async () => {
    // Prepare
    fake.imageFs.usedBytes = 30_000;
    const sized = new CriImageRuntime({ socket: fake.socket, capacityBytes: 100_000 });

    // Act
    const space = await sized.imageStoreSpace();
    sized.close();

    // Assess
    expect(space).toEqual({ totalBytes: 100_000, freeBytes: 70_000, imageBytes: 30_000 });
  });

  it('says which mountpoint it cannot see when the capacity is unknown', async () => {
    fake.imageFs.mountpoint = '/nonexistent/io.containerd.snapshotter.v1.overlayfs';
    const space = runtime.imageStoreSpace();
    await expect(space).rejects.toBeInstanceOf(UpstreamError);
    await expect(space).rejects.toThrow(
      `CRI ${fake.socket}: image filesystem /nonexistent/io.containerd.snapshotter.v1.overlayfs is not visible here`,
    );
  });

  it('counts pulled bytes from the manifest layers (the CRI reports no progress)', async () => {
    const outcome = await runtime.pullImage('r.corp/web:2', {
      layers: [
        { digest: `sha256:${'c'.repeat(64)}`, size: 1000 },
        { digest: `sha256:${'d'.repeat(64)}`, size: 2500 },
      ],
    });
    expect(outcome).toEqual({ bytes: 3500 });
  });
});
