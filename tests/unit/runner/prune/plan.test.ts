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
