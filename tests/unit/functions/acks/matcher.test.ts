import { describe, expect, it } from 'vitest';
import type { Ack } from '../../../../functions/acks/Ack.ts';
import { ackPredicate, activeAckMatcher } from '../../../../functions/acks/matcher.ts';
import { DIGEST, policy, selinux, vuln } from '../notify/fixtures.ts';

const NOW = new Date('2026-03-10T12:00:00Z');

function ack(over: Partial<Ack> = {}): Ack {
  return {
    id: 'cli-1',
    scope: { repository: 'harbor.example.org/team/app', vulnerability: 'CVE-2024-0001' },
    reason: 'not reachable',
    author: 'alice',
    source: 'cli',
    createdAt: '2026-03-01T00:00:00Z',
    expiresAt: '2026-05-01T00:00:00Z',
    ...over,
  };
}

describe('activeAckMatcher', () => {
  it('matches a finding of the acknowledged repository and vulnerability, in any package', () => {
    const match = activeAckMatcher([ack()], NOW);

    expect(match(vuln())?.id).toBe('cli-1');
    expect(match(vuln({ pkg: 'libssl3' }))?.id).toBe('cli-1');
    expect(match(vuln({ vulnerability: 'CVE-2024-9999' }))).toBeUndefined();
    expect(match(vuln({ repository: 'harbor.example.org/team/other' }))).toBeUndefined();
  });

  it('narrows to one package when the scope names it', () => {
    const match = activeAckMatcher(
      [
        ack({
          scope: {
            repository: 'harbor.example.org/team/app',
            vulnerability: 'CVE-2024-0001',
            package: 'zlib',
          },
        }),
      ],
      NOW,
    );

    expect(match(vuln())).toBeUndefined();
    expect(match(vuln({ pkg: 'zlib' }))).toBeDefined();
  });

  it('matches by digest when the ack names one image digest', () => {
    const match = activeAckMatcher([ack({ scope: { digest: DIGEST, vulnerability: 'CVE-2024-0001' } })], NOW);

    expect(match(vuln())).toBeDefined();
    expect(match(vuln({ digests: [`sha256:${'b'.repeat(64)}`] }))).toBeUndefined();
  });

  it('matches policy findings by rule, never SELinux findings', () => {
    const match = activeAckMatcher(
      [ack({ scope: { repository: 'docker.io/library/nginx', rule: 'unapproved-registry' } })],
      NOW,
    );

    expect(match(policy())).toBeDefined();
    expect(match(policy({ rule: 'stale-image' }))).toBeUndefined();
    expect(match(selinux())).toBeUndefined();
  });

  it('ignores expired and revoked acks', () => {
    expect(activeAckMatcher([ack({ expiresAt: '2026-03-10T12:00:00Z' })], NOW)(vuln())).toBeUndefined();
    expect(activeAckMatcher([ack({ revokedAt: '2026-03-09T00:00:00Z' })], NOW)(vuln())).toBeUndefined();
  });

  it('stops matching an ack made while no fix existed once a fix exists', () => {
    const match = activeAckMatcher([ack({ fixAvailable: false })], NOW);

    expect(match(vuln({ fixedIn: undefined }))).toBeDefined();
    expect(match(vuln({ fixedIn: '3.0.2-1' }))).toBeUndefined();
  });

  it('keeps matching after a fix when the ack was made with the fix known', () => {
    expect(activeAckMatcher([ack({ fixAvailable: true })], NOW)(vuln())).toBeDefined();
  });
});

describe('ackPredicate', () => {
  it('answers the scan filter question "acknowledged at this time?"', () => {
    const acked = ackPredicate([ack()]);

    expect(acked(vuln(), NOW)).toBe(true);
    expect(acked(vuln(), new Date('2026-05-01T00:00:00Z'))).toBe(false);
  });
});
