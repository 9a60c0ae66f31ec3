import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../../../../core/registry/challenge.ts';

describe('parseChallenges', () => {
  it('reads a Bearer challenge with realm, service and scope', () => {
    const header =
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"';
    expect(parseChallenges(header)).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/nginx:pull',
        },
      },
    ]);
  });

  it('keeps commas and escaped quotes inside quoted values', () => {
    const [challenge] = parseChallenges(
      'Bearer realm="https://a/t",scope="repository:a:pull,push",error="say \\"hi\\""',
    );
    expect(challenge?.params.scope).toBe('repository:a:pull,push');
    expect(challenge?.params.error).toBe('say "hi"');
  });

  it('reads Basic, unquoted values, and several challenges in one header', () => {
    expect(parseChallenges('Basic realm=registry, Bearer realm="https://t/token"')).toEqual([
      { scheme: 'basic', params: { realm: 'registry' } },
      { scheme: 'bearer', params: { realm: 'https://t/token' } },
    ]);
  });

  it('gives nothing for an empty or missing header and never throws on junk', () => {
    expect(parseChallenges(undefined)).toEqual([]);
    expect(parseChallenges('')).toEqual([]);
    for (const junk of ['"""', '=,=,', 'Bearer realm="unterminated', '\u0000\u0001 ===']) {
      expect(() => parseChallenges(junk)).not.toThrow();
    }
  });
});
