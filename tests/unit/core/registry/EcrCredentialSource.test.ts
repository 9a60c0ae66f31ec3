import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { AuthError } from '../../../../core/errors.ts';
import { chainCredentialSources } from '../../../../core/registry/CredentialSource.ts';
import { CredentialStore } from '../../../../core/registry/credentials.ts';
import { EcrCredentialSource, type EcrTokenRequest } from '../../../../core/registry/EcrCredentialSource.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const HOUR = 3_600_000;

/** A token provider that counts calls and hands out numbered passwords valid for 12 h. */
function provider(clock: ManualClock, fail?: () => Error) {
  const calls: EcrTokenRequest[] = [];
  const fetchToken = async (request: EcrTokenRequest) => {
    calls.push(request);
    if (fail) throw fail();
    return {
      username: 'AWS',
      password: `token-${calls.length}`,
      expiresAt: new Date(clock.now().getTime() + 12 * HOUR),
    };
  };
  return { calls, fetchToken };
}

describe('EcrCredentialSource', () => {
  it('answers non-ECR hosts with nothing and makes no call', async () => {
    const clock = new ManualClock();
    const p = provider(clock);
    const source = new EcrCredentialSource({ fetchToken: p.fetchToken, clock });

    expect(await source.lookup('docker.io')).toBeUndefined();
    expect(await source.lookup('harbor.corp:5000')).toBeUndefined();
    expect(p.calls).toEqual([]);
  });

  it('shares one token per region between hosts and concurrent lookups until the refresh margin', async () => {
    // Prepare
    const clock = new ManualClock();
    const p = provider(clock);
    const source = new EcrCredentialSource({ fetchToken: p.fetchToken, clock, refreshBeforeMs: 10 * 60_000 });

    // Act
    const first = await Promise.all([
      source.lookup(HOST),
      source.lookup(HOST),
      source.lookup('210987654321.dkr.ecr.eu-west-1.amazonaws.com'),
    ]);
    clock.advance(11 * HOUR + 49 * 60_000);
    const beforeMargin = await source.lookup(HOST);
    clock.advance(2 * 60_000);
    const afterMargin = await source.lookup(HOST);

    // Assess
    expect(first).toEqual([
      { username: 'AWS', password: 'token-1' },
      { username: 'AWS', password: 'token-1' },
      { username: 'AWS', password: 'token-1' },
    ]);
    expect(beforeMargin?.password).toBe('token-1');
    expect(afterMargin?.password).toBe('token-2');
    expect(p.calls.map((c) => `${c.region} ${c.fips}`)).toEqual(['eu-west-1 false', 'eu-west-1 false']);
  });

  it('keeps separate tokens for other regions and for FIPS endpoints', async () => {
    const clock = new ManualClock();
    const p = provider(clock);
    const source = new EcrCredentialSource({ fetchToken: p.fetchToken, clock });

    await source.lookup(HOST);
    await source.lookup('123456789012.dkr.ecr.us-east-1.amazonaws.com');
    await source.lookup('123456789012.dkr.ecr-fips.us-east-1.amazonaws.com');

    expect(p.calls.map((c) => `${c.host} ${c.region} ${c.fips}`)).toEqual([
      `${HOST} eu-west-1 false`,
      '123456789012.dkr.ecr.us-east-1.amazonaws.com us-east-1 false',
      '123456789012.dkr.ecr-fips.us-east-1.amazonaws.com us-east-1 true',
    ]);
  });

  it('does not remember a refusal: the next lookup asks again', async () => {
    // Prepare
    const clock = new ManualClock();
    let refuse = true;
    const calls: string[] = [];
    const source = new EcrCredentialSource({
      clock,
      fetchToken: async (request) => {
        calls.push(request.host);
        if (refuse) throw new AuthError(request.host, 'Amazon ECR refused GetAuthorizationToken');
        return { username: 'AWS', password: 'late', expiresAt: new Date(clock.now().getTime() + HOUR) };
      },
    });

    // Act
    const refused = source.lookup(HOST);
    await expect(refused).rejects.toThrow(`${HOST}: Amazon ECR refused GetAuthorizationToken`);
    refuse = false;
    const later = await source.lookup(HOST);

    // Assess
    expect(later).toEqual({ username: 'AWS', password: 'late' });
    expect(calls).toHaveLength(2);
  });

  it('treats configured alias hosts as ECR in their region', async () => {
    const clock = new ManualClock();
    const p = provider(clock);
    const source = new EcrCredentialSource({
      fetchToken: p.fetchToken,
      clock,
      extraHosts: { 'Registry.Corp.Example': 'eu-north-1' },
    });

    expect(await source.lookup('registry.corp.example')).toEqual({ username: 'AWS', password: 'token-1' });
    expect(p.calls).toEqual([{ host: 'registry.corp.example', region: 'eu-north-1', fips: false }]);
  });

  it('comes after static credentials in a chain, which win for the same host', async () => {
    const clock = new ManualClock();
    const p = provider(clock);
    const chain = chainCredentialSources(
      new CredentialStore([[HOST, { username: 'ci', password: 'from-config' }]]),
      new EcrCredentialSource({ fetchToken: p.fetchToken, clock }),
    );

    expect(await chain.lookup(HOST)).toEqual({ username: 'ci', password: 'from-config' });
    expect(await chain.lookup('999999999999.dkr.ecr.eu-west-1.amazonaws.com')).toEqual({
      username: 'AWS',
      password: 'token-1',
    });
    expect(await chain.lookup('docker.io')).toBeUndefined();
  });
});
