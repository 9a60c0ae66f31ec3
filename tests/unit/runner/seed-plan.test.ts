import { describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../core/image-reference.ts';
import { indexLocalImages, planPinned, planTag } from '../../../runner/seed-plan.ts';
import { localImage } from './fakes.ts';

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;

describe('pull planning', () => {
  // Docker prints Hub images in familiar form; the plan compares normalised names
  const index = indexLocalImages([
    localImage('nginx', ['nginx:1.27'], [`nginx@${D1}`]),
    localImage('app', ['registry.corp:5000/team/app:2'], [`registry.corp:5000/team/app@${D1}`]),
    localImage('untagged', [], [`registry.corp:5000/team/pinned@${D2}`]),
  ]);

  it('treats a tag as present only when its local image carries the registry digest', () => {
    expect(planTag(parseImageReference('docker.io/library/nginx:1.27'), D1, index)).toMatchObject({
      action: 'present',
    });
    expect(planTag(parseImageReference('nginx:1.27'), D2, index)).toEqual({
      action: 'pull',
      pullReference: 'docker.io/library/nginx:1.27',
      digest: D2,
      why: 'tag moved: local aaaaaaaaaaaa, registry bbbbbbbbbbbb',
    });
    expect(planTag(parseImageReference('nginx:1.28'), D1, index)).toMatchObject({
      action: 'pull',
      why: 'not present locally',
    });
  });

  it('does not count a digest pulled under another repository or only by digest as the tag', () => {
    // same digest, other repository
    expect(planTag(parseImageReference('registry.corp:5000/team/other:2'), D1, index)).toMatchObject({
      action: 'pull',
    });
    // the digest is local, but no image carries the tag kubelet will look up
    expect(planTag(parseImageReference('registry.corp:5000/team/pinned:1'), D2, index)).toMatchObject({
      action: 'pull',
    });
  });

  it('answers digest-pinned references from the local RepoDigests alone', () => {
    expect(planPinned(parseImageReference(`registry.corp:5000/team/pinned@${D2}`), index)).toMatchObject({
      action: 'present',
    });
    expect(planPinned(parseImageReference(`registry.corp:5000/team/pinned:1@${D1}`), index)).toEqual({
      action: 'pull',
      pullReference: `registry.corp:5000/team/pinned@${D1}`,
      digest: D1,
      why: 'digest-pinned and not present locally',
    });
  });
});
