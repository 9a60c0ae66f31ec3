import { describe, expect, it } from 'vitest';
import { AuthError, UpstreamError } from '../../../core/errors.ts';
import { silentLogger } from '../../../core/logger.ts';
import { type SeedOptions, seedImages } from '../../../runner/seed.ts';
import { desired, FakeRegistry, FakeRuntime, localImage } from './fakes.ts';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const OPTIONS: SeedOptions = {
  concurrency: 3,
  pullTimeoutMs: 60_000,
  retries: 2,
  minFreeBytes: 1024 ** 3,
};

function setup() {
  const registry = new FakeRegistry();
  const runtime = new FakeRuntime();
  const ports = {
    runtime,
    resolverFor: () => registry,
    credentialsFor: () => undefined,
    logger: silentLogger(),
    sleep: async () => {},
    random: () => 0.5,
  };
  return { registry, runtime, ports };
}

describe('seedImages', () => {
  it('needs no network for a digest-pinned image already present', async () => {
    // Prepare
    const { registry, runtime, ports } = setup();
    runtime.images = [localImage('i1', [], [`r.corp/app@${D1}`])];

    // Act
    const result = await seedImages([desired(`r.corp/app@${D1}`)], ports, OPTIONS);

    // Assess
    expect(result.counts).toMatchObject({ desired: 1, present: 1, pulled: 0 });
    expect(registry.pings).toEqual([]);
    expect(registry.heads).toEqual([]);
    expect(runtime.pulls).toEqual([]);
  });

  it('checks a tag with one HEAD and pulls only when the local digest differs', async () => {
    // Prepare
    const { registry, runtime, ports } = setup();
    runtime.images = [
      localImage('same', ['r.corp/same:1'], [`r.corp/same@${D1}`]),
      localImage('moved', ['r.corp/moved:1'], [`r.corp/moved@${D1}`]),
    ];
    registry.digests.set('r.corp/same:1', D1);
    registry.digests.set('r.corp/moved:1', D2);
    registry.digests.set('r.corp/new:1', D2);

    // Act
    const result = await seedImages(
      [desired('r.corp/same:1'), desired('r.corp/moved:1'), desired('r.corp/new:1')],
      ports,
      OPTIONS,
    );

    // Assess
    expect(registry.pings).toEqual(['r.corp']);
    expect(registry.heads.sort()).toEqual(['r.corp/moved:1', 'r.corp/new:1', 'r.corp/same:1']);
    expect(runtime.pulls.map((pull) => pull.reference).sort()).toEqual(['r.corp/moved:1', 'r.corp/new:1']);
    expect(result.images.map((image) => [image.outcome, image.why])).toEqual([
      ['present', 'tag present locally at the registry digest'],
      ['pulled', 'tag moved: local 111111111111, registry 222222222222'],
      ['pulled', 'not present locally'],
    ]);
    expect(result.bytes).toBe(2_000_000);
  });

  it('skips only the images of an unreachable registry', async () => {
    // Prepare
    const { registry, runtime, ports } = setup();
    registry.down.add('down.corp');
    registry.digests.set('up.corp/a:1', D1);

    // Act
    const result = await seedImages(
      [desired('down.corp/a:1'), desired('down.corp/b:1'), desired('up.corp/a:1')],
      ports,
      OPTIONS,
    );

    // Assess
    expect(result.counts.skipped['registry-unreachable']).toBe(2);
    expect(result.counts.pulled).toBe(1);
    expect(result.unreachableRegistries).toEqual([
      { registry: 'down.corp', error: 'down.corp: connect ECONNREFUSED' },
    ]);
    expect(registry.heads).toEqual(['up.corp/a:1']);
    expect(runtime.pulls.map((pull) => pull.reference)).toEqual(['up.corp/a:1']);
  });

  it('pulls in priority order with at most `concurrency` in flight', async () => {
    // Prepare
    const { registry, runtime, ports } = setup();
    const images = Array.from({ length: 8 }, (_, i) => desired(`r.corp/app${i}:1`));
    for (let i = 0; i < 8; i += 1) registry.digests.set(`r.corp/app${i}:1`, D1);

    // Act
    const result = await seedImages(images, ports, { ...OPTIONS, concurrency: 3 });

    // Assess
    expect(result.counts.pulled).toBe(8);
    expect(runtime.maxInFlight).toBe(3);
    expect(runtime.pulls.map((pull) => pull.reference)).toEqual(images.map((image) => image.reference));
  });

  it('retries a transient pull failure and gives up on an auth failure at once', async () => {
    // Prepare
    const { registry, runtime, ports } = setup();
    registry.digests.set('r.corp/flaky:1', D1);
    registry.digests.set('r.corp/private:1', D1);
    runtime.behaviours.set('r.corp/flaky:1', async (attempt) => {
      if (attempt < 3) throw new UpstreamError('container runtime', 'received unexpected HTTP status: 503');
      return { bytes: 5 };
    });
    runtime.behaviours.set('r.corp/private:1', async () => {
      throw new AuthError(
        'container runtime',
        'pull r.corp/private:1: unauthorized: authentication required',
      );
    });

    // Act
    const result = await seedImages([desired('r.corp/flaky:1'), desired('r.corp/private:1')], ports, OPTIONS);

    // Assess
    expect(result.images[0]).toMatchObject({ outcome: 'pulled', attempts: 3 });
    expect(result.images[1]).toMatchObject({ outcome: 'failed', errorKind: 'auth' });
    expect(runtime.pulls.filter((pull) => pull.reference === 'r.corp/private:1')).toHaveLength(1);
  });

  it('counts a failed digest check as failed and carries on', async () => {
    const { registry, ports } = setup();
    registry.headErrors.set('r.corp/gone:1', new AuthError('r.corp', 'HEAD manifest: 401'));
    registry.digests.set('r.corp/ok:1', D1);
    const result = await seedImages([desired('r.corp/gone:1'), desired('r.corp/ok:1')], ports, OPTIONS);
    expect(result.counts).toMatchObject({ failed: 1, pulled: 1 });
    expect(result.images[0]).toMatchObject({ outcome: 'failed', errorKind: 'auth' });
  });

  it('starts no pull once free space is below the floor', async () => {
    // Prepare
    const { registry, runtime, ports } = setup();
    registry.digests.set('r.corp/a:1', D1);
    registry.digests.set('r.corp/b:1', D1);
    runtime.freeBytes = 100 * 1024 ** 2;

    // Act
    const result = await seedImages([desired('r.corp/a:1'), desired('r.corp/b:1')], ports, OPTIONS);

    // Assess
    expect(runtime.pulls).toEqual([]);
    expect(result.counts.skipped['low-disk']).toBe(2);
    expect(result.lowDisk).toEqual({ freeBytes: 100 * 1024 ** 2, minFreeBytes: 1024 ** 3 });
  });

  it('keeps pulling, with a warning, when free space cannot be read', async () => {
    const { registry, runtime, ports } = setup();
    registry.digests.set('r.corp/a:1', D1);
    runtime.imageStoreSpace = async () => {
      throw new Error('ENOENT: no such file or directory, statfs /var/lib/docker');
    };
    const result = await seedImages([desired('r.corp/a:1')], ports, OPTIONS);
    expect(result.counts.pulled).toBe(1);
    expect(result.lowDisk).toBeUndefined();
  });

  it('aborts the pull in flight on SIGTERM and starts no more, reporting them as aborted', async () => {
    // Prepare
    const { registry, runtime, ports } = setup();
    const controller = new AbortController();
    registry.digests.set('r.corp/big:1', D1);
    registry.digests.set('r.corp/next:1', D1);
    runtime.behaviours.set(
      'r.corp/big:1',
      (_attempt, options) =>
        new Promise((_resolve, reject) => {
          options.signal?.addEventListener('abort', () => reject(options.signal?.reason));
          controller.abort(new Error('SIGTERM'));
        }),
    );

    // Act
    const result = await seedImages([desired('r.corp/big:1'), desired('r.corp/next:1')], ports, {
      ...OPTIONS,
      concurrency: 1,
      signal: controller.signal,
    });

    // Assess
    expect(result.images.map((image) => [image.outcome, image.skipReason])).toEqual([
      ['skipped', 'aborted'],
      ['skipped', 'aborted'],
    ]);
    expect(runtime.pulls.map((pull) => pull.reference)).toEqual(['r.corp/big:1']);
  });

  it('in a dry run plans pulls with their reasons and pulls nothing', async () => {
    const { registry, runtime, ports } = setup();
    registry.digests.set('r.corp/a:1', D1);
    const result = await seedImages([desired('r.corp/a:1')], ports, { ...OPTIONS, dryRun: true });
    expect(result.images[0]).toMatchObject({ outcome: 'planned', why: 'not present locally', digest: D1 });
    expect(runtime.pulls).toEqual([]);
  });

  it('in a dry run without --check-registry plans from the local store and asks no registry', async () => {
    // Prepare
    const { registry, runtime, ports } = setup();
    runtime.images = [localImage('i1', ['r.corp/here:1'], [`r.corp/here@${D1}`])];

    // Act
    const result = await seedImages([desired('r.corp/here:1'), desired('r.corp/gone:1')], ports, {
      ...OPTIONS,
      dryRun: true,
      checkRegistry: false,
    });

    // Assess
    expect(result.images.map((i) => [i.reference, i.outcome, i.presence, i.why])).toEqual([
      ['r.corp/here:1', 'present', 'present', 'tag present locally (registry not checked)'],
      ['r.corp/gone:1', 'planned', 'absent', 'not present locally'],
    ]);
    expect(registry.pings).toEqual([]);
    expect(registry.heads).toEqual([]);
  });

  it('hands the runtime the layers of the platform manifest, for its byte count', async () => {
    // Prepare
    const { registry, runtime, ports } = setup();
    registry.digests.set('r.corp/a:1', D1);
    const layers = [{ digest: D2, size: 4321 }];
    const manifests: string[] = [];
    const withManifests = Object.assign(registry, {
      resolvePlatformManifest: async (ref: { digest?: string }) => {
        manifests.push(ref.digest ?? '');
        return { manifest: { layers } };
      },
    });
    runtime.behaviours.set('r.corp/a:1', async (_attempt, options) => ({
      bytes: (options.layers ?? []).reduce((sum, layer) => sum + layer.size, 0),
    }));

    // Act
    const result = await seedImages(
      [desired('r.corp/a:1')],
      { ...ports, resolverFor: () => withManifests },
      OPTIONS,
    );

    // Assess
    expect(manifests).toEqual([D1]);
    expect(result.images[0]).toMatchObject({ outcome: 'pulled', bytes: 4321 });
  });

  it('pulls a digest-pinned image by digest when it is missing', async () => {
    const { runtime, ports } = setup();
    const result = await seedImages([desired(`r.corp/app:1@${D2}`)], ports, OPTIONS);
    expect(runtime.pulls.map((pull) => pull.reference)).toEqual([`r.corp/app@${D2}`]);
    expect(result.counts.pulled).toBe(1);
  });
});
