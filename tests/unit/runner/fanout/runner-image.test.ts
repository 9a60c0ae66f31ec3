import { describe, expect, it } from 'vitest';
import { ConfigError, NotFoundError } from '../../../../core/errors.ts';
import {
  imageOfPod,
  RunnerImageError,
  resolveRunnerImage,
  runningDigest,
  SelfPodObject,
} from '../../../../runner/fanout/runner-image.ts';
import { fanoutPod } from './helpers.ts';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const SELF = { namespace: 'imagewarden', name: 'imagewarden-fanout-29000000-abcde' };

/** A scheduler whose only answer is the given pod (or error), recording what was asked. */
function podReader(answer: unknown) {
  const asked: string[] = [];
  return {
    asked,
    getPod: async (namespace: string, name: string) => {
      asked.push(`${namespace}/${name}`);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('runningDigest', () => {
  it.each([
    ['containerd', `registry.corp/imagewarden/runner@${DIGEST}`],
    ['cri-dockerd', `docker-pullable://registry.corp/imagewarden/runner@${DIGEST}`],
    ['CRI-O', `registry.corp:5000/imagewarden/runner@${DIGEST}`],
  ])('reads the digest of a %s imageID', (_runtime, imageID) => {
    // Act / Assess
    expect(runningDigest(imageID)).toBe(DIGEST);
  });

  it.each([
    ['an image id without a repository (a local build)', DIGEST],
    ['a pending container', ''],
    ['no status yet', undefined],
    ['a tag only', 'registry.corp/imagewarden/runner:1.2'],
  ])('finds none in %s', (_case, imageID) => {
    // Act / Assess
    expect(runningDigest(imageID)).toBeUndefined();
  });
});

describe('imageOfPod', () => {
  const parse = (pod: Record<string, unknown>) => SelfPodObject.parse(pod);

  it('puts the running digest on the repository the pod spec names', () => {
    // Prepare: the runtime reports the digest under a mirror's name it also holds the image as
    const pod = parse(
      fanoutPod('p', {
        image: 'registry.corp/imagewarden/runner:1.2',
        imageID: `mirror.corp/runner@${DIGEST}`,
      }),
    );
    // Act / Assess
    expect(imageOfPod(pod, 'pod p')).toEqual({
      image: `registry.corp/imagewarden/runner@${DIGEST}`,
      source: 'pod-digest',
    });
  });

  it("keeps the spec's image when it is pinned by digest already", () => {
    // Prepare
    const pinned = `registry.corp/imagewarden/runner@sha256:${'b'.repeat(64)}`;
    const pod = parse(
      fanoutPod('p', { image: pinned, imageID: `registry.corp/imagewarden/runner@${DIGEST}` }),
    );
    // Act / Assess
    expect(imageOfPod(pod, 'pod p')).toEqual({ image: pinned, source: 'pod-spec' });
  });

  it("uses the spec's image when the runtime reports no digest", () => {
    // Prepare
    const pod = parse(fanoutPod('p', { image: 'registry.corp/imagewarden/runner:1.2', imageID: DIGEST }));
    // Act / Assess
    expect(imageOfPod(pod, 'pod p')).toEqual({
      image: 'registry.corp/imagewarden/runner:1.2',
      source: 'pod-spec',
    });
  });

  it('picks the container named fanout beside a sidecar, and refuses to guess among unnamed ones', () => {
    // Prepare
    const sidecars = [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.24' }];
    const withFanout = parse(fanoutPod('p', { image: 'r.corp/runner:1', sidecars }));
    const renamed = parse(fanoutPod('p', { image: 'r.corp/runner:1', sidecars, containerName: 'main' }));
    // Act / Assess
    expect(imageOfPod(withFanout, 'pod p').image).toBe('r.corp/runner:1');
    expect(() => imageOfPod(renamed, 'pod p')).toThrow(
      'pod p: no container named "fanout" among "main", "istio-proxy"; set runner.fanout.image',
    );
  });
});

describe('resolveRunnerImage', () => {
  it('takes runner.fanout.image without reading the pod', async () => {
    // Prepare
    const reader = podReader(fanoutPod('p', { image: 'r.corp/runner:1' }));
    // Act
    const image = await resolveRunnerImage(reader, 'r.corp/override:7', SELF);
    // Assess
    expect(image).toEqual({ image: 'r.corp/override:7', source: 'config' });
    expect(reader.asked).toEqual([]);
  });

  it('names both missing sources when there is neither config nor pod', async () => {
    // Prepare
    const reader = podReader(new Error('not asked'));
    // Act
    const resolving = resolveRunnerImage(reader, undefined, undefined);
    // Assess
    await expect(resolving).rejects.toBeInstanceOf(ConfigError);
    await expect(resolving).rejects.toThrow(/runner\.fanout\.image: not set, .*POD_NAME and POD_NAMESPACE/);
    expect(reader.asked).toEqual([]);
  });

  it('names the pod and the ways out when the pod cannot be read', async () => {
    // Prepare
    const reader = podReader(new NotFoundError('get pod imagewarden/x: not found'));
    // Act
    const resolving = resolveRunnerImage(reader, undefined, SELF);
    // Assess
    await expect(resolving).rejects.toBeInstanceOf(RunnerImageError);
    await expect(resolving).rejects.toThrow(
      `the fan-out's own pod imagewarden/${SELF.name}: cannot be read for the node Jobs' image (get pod imagewarden/x: not found); grant get on pods in imagewarden or set runner.fanout.image`,
    );
  });

  it('rejects a malformed Pod by the field at fault', async () => {
    // Prepare
    const reader = podReader({ kind: 'Pod', spec: { containers: [] } });
    // Act / Assess
    await expect(resolveRunnerImage(reader, undefined, SELF)).rejects.toThrow(
      /malformed Pod \(spec\.containers: /,
    );
  });
});
