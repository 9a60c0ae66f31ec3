// The dockerode ImageRuntime adapter against a real dockerd (vfs, private socket) and real
// docker-registry instances (anonymous and basic auth).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, NotFoundError } from '../../core/errors.ts';
import { DockerImageRuntime } from '../../runner/runtime/DockerImageRuntime.ts';
import { ImageInUseError } from '../../runner/runtime/errors.ts';
import type { PullProgress } from '../../runner/runtime/ImageRuntime.ts';
import { type Dockerd, docker, startDockerd } from '../support/dockerd.ts';
import { pushImage } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';

describe('DockerImageRuntime against dockerd + docker-registry', () => {
  let daemon: Dockerd;
  let open: TestRegistry;
  let locked: TestRegistry;
  let runtime: DockerImageRuntime;
  let small: string;
  let smallDigest: string;
  let big: string;

  beforeAll(async () => {
    [daemon, open, locked] = await Promise.all([
      startDockerd(),
      startRegistry({ auth: 'none' }),
      startRegistry({ auth: 'basic' }),
    ]);
    runtime = new DockerImageRuntime({ socketPath: daemon.socket, imageStorePath: daemon.dataRoot });
    const pushed = await pushImage(open, { repository: 'small', tag: '1', labels: { team: 'shop' } });
    small = pushed.reference;
    smallDigest = pushed.digest;
    big = (
      await pushImage(open, {
        repository: 'big',
        tag: '1',
        files: [{ name: 'big.bin', content: randomBytes(40 * 1024 * 1024) }],
      })
    ).reference;
    await pushImage(locked, { repository: 'private', tag: '1' });
  });

  afterAll(async () => {
    await Promise.allSettled([daemon?.stop(), open?.stop(), locked?.stop()]);
  });

  it('reports the runtime kind and version', async () => {
    const info = await runtime.info();
    expect(info.kind).toBe('docker');
    expect(info.version).toMatch(/^\d+\.\d+/);
    expect(info.rootDir).toBe(daemon.dataRoot);
  });

  it('pulls with progress and lists the image with its RepoDigests and labels', async () => {
    // Prepare
    const progress: PullProgress[] = [];

    // Act
    const outcome = await runtime.pullImage(small, { onProgress: (p) => progress.push(p) });
    const images = await runtime.listImages();
    const inspected = await runtime.inspectImage(small);

    // Assess
    expect(outcome.bytes).toBeGreaterThan(0);
    expect(progress.some((p) => p.status.startsWith('Status: Downloaded newer image'))).toBe(true);
    const listed = images.find((image) => image.repoTags.includes(small));
    expect(listed?.repoDigests).toEqual([`${open.host}/small@${smallDigest}`]);
    expect(listed?.labels).toEqual({ team: 'shop' });
    expect(inspected?.id).toBe(listed?.id);
    expect(await runtime.inspectImage(`${open.host}/small:absent`)).toBeUndefined();
  });

  it('pulls a private image with credentials and refuses clearly without', async () => {
    const reference = `${locked.host}/private:1`;
    await expect(runtime.pullImage(reference)).rejects.toBeInstanceOf(AuthError);
    await runtime.pullImage(reference, {
      credentials: { username: locked.username ?? '', password: locked.password ?? '' },
    });
    expect(await runtime.inspectImage(reference)).toBeDefined();
  });

  it('reports a missing tag as NotFoundError', async () => {
    await expect(runtime.pullImage(`${open.host}/small:nope`)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('aborts a pull in flight and leaves no image behind', async () => {
    // Prepare
    const controller = new AbortController();

    // Act
    const pull = runtime.pullImage(big, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.status === 'Downloading') controller.abort(new Error('SIGTERM'));
      },
    });

    // Assess
    await expect(pull).rejects.toThrow('SIGTERM');
    expect(await runtime.inspectImage(big)).toBeUndefined();
  });

  it('lists stopped containers and never force-removes an image a container uses', async () => {
    // Prepare
    const { stdout } = await docker(daemon, [
      'create',
      '--label',
      'io.kubernetes.pod.namespace=shop',
      '--security-opt',
      'label=level:s0:c100,c200',
      small,
    ]);
    const id = stdout.trim();

    // Act
    const containers = await runtime.listContainers();
    const details = await runtime.inspectContainer(id);
    const removal = runtime.removeImage(small);

    // Assess
    expect(containers.find((c) => c.id === id)).toMatchObject({ state: 'created', image: small });
    expect(details).toMatchObject({
      id,
      labels: { 'io.kubernetes.pod.namespace': 'shop' },
      pid: 0,
      securityOpt: ['label=level:s0:c100,c200'],
    });
    await expect(removal).rejects.toBeInstanceOf(ImageInUseError);
    expect(await runtime.inspectImage(small)).toBeDefined();
    await docker(daemon, ['rm', id]);
    await runtime.removeImage(small);
    expect(await runtime.inspectImage(small)).toBeUndefined();
    expect(await runtime.inspectContainer(id)).toBeUndefined();
  });

  it('reads free space of the image store filesystem', async () => {
    const space = await runtime.imageStoreSpace();
    expect(space.freeBytes).toBeGreaterThan(0);
    expect(space.totalBytes).toBeGreaterThanOrEqual(space.freeBytes);
  });
});
