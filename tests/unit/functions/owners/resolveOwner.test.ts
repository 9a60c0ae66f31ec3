import { describe, expect, it } from 'vitest';
import { labelKeyVariants } from '../../../../functions/owners/labelKeys.ts';
import { ownerFromHosts, resolveOwner } from '../../../../functions/owners/resolveOwner.ts';

describe('labelKeyVariants', () => {
  it('adds the Beats-dedotted form after each configured key, without duplicates', () => {
    // Act
    const keys = labelKeyVariants(['owner', 'org.opencontainers.image.authors', 'maintainer']);
    // Assess
    expect(keys).toEqual([
      'owner',
      'org.opencontainers.image.authors',
      'org_opencontainers_image_authors',
      'maintainer',
    ]);
  });
});

describe('resolveOwner', () => {
  const hostOwner = {
    address: 'ops@example.org',
    rule: 'host-owner' as const,
    detail: 'node1 (host glob node*)',
  };

  it('takes the first label key with a valid address and records which key', () => {
    // Prepare
    const candidates = [
      { key: 'owner', value: 'not an address' },
      { key: 'org_opencontainers_image_authors', value: 'PDT <pdt@example.com>' },
      { key: 'maintainer', value: 'other@example.com' },
    ];
    // Act
    const { owner, rejected } = resolveOwner(candidates, hostOwner, 'security@example.org');
    // Assess
    expect(owner).toEqual({
      address: 'pdt@example.com',
      rule: 'label',
      detail: 'org_opencontainers_image_authors',
    });
    expect(rejected).toEqual([{ key: 'owner', value: 'not an address', reason: 'is not an email address' }]);
  });

  it('never lets an injection attempt through; falls back to the host owner', () => {
    // Prepare
    const candidates = [{ key: 'owner', value: 'a@example.com\r\nBcc: all@example.com' }];
    // Act
    const { owner, rejected } = resolveOwner(candidates, hostOwner, 'security@example.org');
    // Assess
    expect(owner).toEqual(hostOwner);
    expect(rejected[0]?.reason).toMatch(/CR\/LF/);
  });

  it('ends at the security contact when neither labels nor hosts give an owner', () => {
    // Act
    const { owner } = resolveOwner([], undefined, 'security@example.org');
    // Assess
    expect(owner).toEqual({
      address: 'security@example.org',
      rule: 'security-contact',
      detail: 'owners.securityContact',
    });
  });
});

describe('ownerFromHosts', () => {
  it('uses the first host in report order that has an owner', () => {
    // Prepare
    const owners = new Map([['b.example.org', { address: 'b@example.org', detail: 'nivlheim group b' }]]);
    // Act
    const owner = ownerFromHosts(['a.example.org', 'b.example.org'], owners);
    // Assess
    expect(owner).toEqual({
      address: 'b@example.org',
      rule: 'host-owner',
      detail: 'b.example.org (nivlheim group b)',
    });
  });
});
