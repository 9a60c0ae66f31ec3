import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../../../core/clock.ts';
import {
  matchesLabelSelector,
  type PlanInput,
  planPrune,
  pressureOrder,
} from '../../../../runner/prune/plan.ts';
import type { ContainerSummary, LocalImage } from '../../../../runner/runtime/ImageRuntime.ts';

const D = (c: string) => `sha256:${c.repeat(64)}`;
function image(id: string, tags: string[], extra: Partial<LocalImage> = {}): LocalImage {
  return {
    id: D(id),
    repoTags: tags,
    repoDigests: [],
    labels: {},
    size: 1000,
    created: '2026-01-01T00:00:00Z',
    ...extra,
  };
}
function container(imageId: string, state: string, image = 'x'): ContainerSummary {
  return { id: `c-${imageId.slice(7, 10)}`, names: ['/c'], image, imageId, state, labels: {} };
}
const now = new Date('2026-03-10T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * HOUR_MS).toISOString();

function input(overrides: Partial<PlanInput>): PlanInput {
  return {
    images: [],
    containers: [],
    stateImages: {},
    desiredNow: [],
    now,
    retentionMs: 72 * HOUR_MS,
    retentionDue: true,
    ...overrides,
  };
}

describe('planPrune', () => {
  it('removes a managed image out of the desired set for longer than the retention', () => {
    // Prepare
    const img = image('a', ['registry.local:5000/app:v1']);
    const stateImages = { 'registry.local:5000/app:v1': { managed: true, lastDesired: hoursAgo(73) } };
    // Act
    const [v] = planPrune(input({ images: [img], stateImages }));
    // Assess
    expect(v?.verdict).toMatchObject({ remove: 'retention-expired' });
    expect(v?.lastDesired).toBe(hoursAgo(73));
  });

  it('keeps it inside the retention, and when the schedule is not due', () => {
    const img = image('a', ['registry.local:5000/app:v1']);
    const recent = planPrune(
      input({
        images: [img],
        stateImages: { 'registry.local:5000/app:v1': { managed: true, lastDesired: hoursAgo(71) } },
      }),
    );
    const notDue = planPrune(
      input({
        images: [img],
        retentionDue: false,
        stateImages: { 'registry.local:5000/app:v1': { managed: true, lastDesired: hoursAgo(100) } },
      }),
    );
    expect(recent[0]?.verdict).toMatchObject({ keep: 'within-retention' });
    expect(notDue[0]?.verdict).toMatchObject({ keep: 'within-retention' });
  });

  it('never touches an unmanaged image, however old', () => {
    const img = image('b', ['nginx:1.27'], { created: '2020-01-01T00:00:00Z' });
    const stateImages = { 'docker.io/library/nginx:1.27': { lastDesired: hoursAgo(1000) } };
    expect(planPrune(input({ images: [img], stateImages }))[0]?.verdict).toMatchObject({ keep: 'unmanaged' });
  });

  it('keeps an image used by a created or exited container, by id or by reference', () => {
    const a = image('a', ['registry.local:5000/app:v1']);
    const b = image('b', ['registry.local:5000/app:v2']);
    const stateImages = {
      'registry.local:5000/app:v1': { managed: true, lastDesired: hoursAgo(500) },
      'registry.local:5000/app:v2': { managed: true, lastDesired: hoursAgo(500) },
    };
    const got = planPrune(
      input({
        images: [a, b],
        stateImages,
        containers: [
          container(a.id, 'created'),
          container('sha256:zz', 'exited', 'registry.local:5000/app:v2'),
        ],
      }),
    );
    expect(got.map((v) => v.verdict)).toMatchObject([{ keep: 'in-use' }, { keep: 'in-use' }]);
  });

  it('keeps an image desired now even with an old state entry, matching by digest too', () => {
    const img = image('a', [], { repoDigests: [`registry.local:5000/app@${D('f')}`] });
    const stateImages = {
      'registry.local:5000/app:v1': { managed: true, lastDesired: hoursAgo(500), digest: D('f') },
    };
    const got = planPrune(input({ images: [img], stateImages, desiredNow: ['registry.local:5000/app:v1'] }));
    expect(got[0]?.verdict).toMatchObject({ keep: 'desired' });
    expect(got[0]?.managedBy).toBe('state');
  });

  it('manages images with the configured label; never desired means the creation time counts', () => {
    const labelled = image('c', ['old/tool:1'], { labels: { maintainer: 'cedar' }, created: hoursAgo(80) });
    const fresh = image('d', ['old/tool:2'], { labels: { maintainer: 'cedar' }, created: hoursAgo(2) });
    const got = planPrune(input({ images: [labelled, fresh], labelSelector: 'maintainer=cedar' }));
    expect(got.map((v) => [v.managedBy, 'remove' in v.verdict])).toEqual([
      ['label', true],
      ['label', false],
    ]);
  });

  it('orders disk-pressure candidates least recently desired first', () => {
    const imgs = [image('a', ['r.io/a:1']), image('b', ['r.io/b:1']), image('c', ['r.io/c:1'])];
    const stateImages = {
      'r.io/a:1': { managed: true, lastDesired: hoursAgo(5) },
      'r.io/b:1': { managed: true, lastDesired: hoursAgo(50) },
      'r.io/c:1': { managed: true, lastDesired: hoursAgo(1) },
    };
    const order = pressureOrder(planPrune(input({ images: imgs, stateImages, desiredNow: ['r.io/c:1'] })));
    expect(order.map((v) => v.references[0])).toEqual(['r.io/b:1', 'r.io/a:1']);
  });
});

describe('matchesLabelSelector', () => {
  it('matches key=value and bare keys', () => {
    expect(matchesLabelSelector({ a: 'b' }, 'a=b')).toBe(true);
    expect(matchesLabelSelector({ a: 'c' }, 'a=b')).toBe(false);
    expect(matchesLabelSelector({ a: '' }, 'a')).toBe(true);
    expect(matchesLabelSelector({ a: 'b' }, undefined)).toBe(false);
  });
});

describe('planPrune against node state, generated', () => {
  // Images and state entries drawn from a few repositories, tags and digests, so that tags,
  // recorded digests and pinned references all meet, in every form the daemon prints.
  const repo = fc.constantFrom(
    'nginx',
    'docker.io/library/nginx',
    'registry.example.org:5000/team/app',
    'quay.io/org/tool',
  );
  const tag = fc.constantFrom('1', '2', 'latest');
  const digest = fc.constantFrom(D('a'), D('b'), D('c'));
  const full = (r: string) => (r === 'nginx' ? 'docker.io/library/nginx' : r);
  const localImage = fc.record({
    tags: fc.array(fc.tuple(repo, tag), { maxLength: 2 }),
    digests: fc.array(fc.tuple(repo, digest), { maxLength: 2 }),
  });
  const entry = fc.record({
    reference: fc.oneof(
      fc.tuple(repo, tag).map(([r, t]) => `${r}:${t}`),
      fc.tuple(repo, digest).map(([r, d]) => `${r}@${d}`),
      fc.tuple(repo, tag, digest).map(([r, t, d]) => `${r}:${t}@${d}`),
    ),
    digest: fc.option(digest, { nil: undefined }),
    lastDesired: fc.integer({ min: 1, max: 400 }),
  });

  it('manages an image exactly when a managed entry has its tag or its repository and digest', () => {
    fc.assert(
      fc.property(
        fc.array(localImage, { minLength: 1, maxLength: 6 }),
        fc.array(entry, { maxLength: 8 }),
        (images, entries) => {
          // Prepare
          const local = images.map((img, i) =>
            image(
              String(i % 10),
              img.tags.map(([r, t]) => `${r}:${t}`),
              {
                id: `sha256:${String(i).padStart(64, '0')}`,
                repoDigests: img.digests.map(([r, d]) => `${r}@${d}`),
              },
            ),
          );
          const state = Object.fromEntries(
            entries.map((e) => [
              e.reference,
              {
                managed: true,
                lastDesired: hoursAgo(e.lastDesired),
                ...(e.digest ? { digest: e.digest } : {}),
              },
            ]),
          );

          // Act
          const verdicts = planPrune(input({ images: local, stateImages: state, retentionDue: false }));

          // Assess: the definition, pair by pair
          for (const [i, img] of images.entries()) {
            const tags = new Set(img.tags.map(([r, t]) => `${full(r)}:${t}`));
            const digests = new Set(img.digests.map(([r, d]) => `${full(r)}@${d}`));
            const matching = Object.entries(state).filter(([reference, e]) => {
              const [name = '', pinned] = reference.split('@');
              const bare = name.includes(':', name.lastIndexOf('/')) ? name : `${name}:latest`;
              const repoOf = bare.slice(0, bare.lastIndexOf(':'));
              return (
                (pinned === undefined &&
                  tags.has(full(bare.slice(0, bare.lastIndexOf(':'))) + bare.slice(bare.lastIndexOf(':')))) ||
                (e.digest !== undefined && digests.has(`${full(repoOf)}@${e.digest}`)) ||
                (pinned !== undefined && digests.has(`${full(repoOf)}@${pinned}`))
              );
            });
            expect(verdicts[i]?.managedBy).toBe(matching.length > 0 ? 'state' : undefined);
            if (matching.length > 0) {
              const latest = Math.max(...matching.map(([, e]) => Date.parse(e.lastDesired)));
              expect(verdicts[i]?.lastDesired).toBe(new Date(latest).toISOString());
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
