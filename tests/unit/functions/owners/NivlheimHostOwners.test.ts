import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, NotFoundError, UpstreamError, ValidationError } from '../../../../core/errors.ts';
import { NivlheimHostOwners } from '../../../../functions/owners/NivlheimHostOwners.ts';
import { type NivlheimFake, startNivlheimFake } from '../../../support/nivlheim-fake.ts';

describe('NivlheimHostOwners against the Nivlheim fake', () => {
  let fake: NivlheimFake;
  const sleeps: number[] = [];
  const directory = (apiKey = 'k1', url?: string): NivlheimHostOwners =>
    new NivlheimHostOwners({
      url: url ?? fake.url,
      apiKey,
      groups: { 'usit-web': 'web@usit.example.org', 'usit-db': 'db@usit.example.org' },
      requestTimeoutMs: 2000,
      retries: 2,
      sleep: async (ms) => void sleeps.push(ms),
    });

  beforeAll(async () => {
    fake = await startNivlheimFake({
      apiKeys: ['k1', 'k2'],
      hosts: [
        { hostname: 'web1.uio.no', ownerGroup: 'usit-web' },
        { hostname: 'db1.uio.no', ownerGroup: 'usit-db', visibleTo: ['k1'] },
        { hostname: 'lab1.uio.no', ownerGroup: 'some-lab' },
        { hostname: 'orphan.uio.no', ownerGroup: null },
      ],
    });
  });
  afterEach(() => {
    expect(fake.problems).toEqual([]);
    fake.requests.length = 0;
    sleeps.length = 0;
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('maps owner groups to addresses with one hostlist request carrying the APIKEY header', async () => {
    // Prepare
    const nivlheim = directory();
    // Act
    const owners = await nivlheim.lookup([
      'web1.uio.no',
      'DB1.uio.no',
      'lab1.uio.no',
      'orphan.uio.no',
      'gone.uio.no',
    ]);
    await nivlheim.lookup(['web1.uio.no']);
    // Assess
    expect(Object.fromEntries(owners)).toEqual({
      'web1.uio.no': { address: 'web@usit.example.org', detail: 'nivlheim group usit-web' },
      'DB1.uio.no': { address: 'db@usit.example.org', detail: 'nivlheim group usit-db' },
    });
    expect([...nivlheim.unmappedGroups]).toEqual(['some-lab']);
    expect(fake.requests).toEqual([
      { path: '/api/v2/hostlist?fields=hostname%2CownerGroup', authorization: 'APIKEY k1' },
    ]);
  });

  it('leaves out hosts the key cannot see, as Nivlheim does', async () => {
    // Act
    const owners = await directory('k2').lookup(['db1.uio.no', 'web1.uio.no']);
    // Assess
    expect([...owners.keys()]).toEqual(['web1.uio.no']);
  });

  it('reports a refused key as AuthError without retrying', async () => {
    // Act
    const failure = directory('wrong').lookup(['web1.uio.no']);
    // Assess
    await expect(failure).rejects.toBeInstanceOf(AuthError);
    expect(fake.requests).toHaveLength(1);
  });

  it('reports 404 (wrong url) as NotFoundError and 422 as ValidationError', async () => {
    // Prepare
    fake.failNext(404);
    const notFound = directory().lookup(['web1.uio.no']);
    await expect(notFound).rejects.toBeInstanceOf(NotFoundError);
    fake.failNext(422);
    // Act
    const unprocessable = directory().lookup(['web1.uio.no']);
    // Assess
    await expect(unprocessable).rejects.toBeInstanceOf(ValidationError);
  });

  it('retries 503 with backoff and then succeeds', async () => {
    // Prepare
    fake.failNext(503);
    // Act
    const owners = await directory().lookup(['web1.uio.no']);
    // Assess
    expect(owners.get('web1.uio.no')?.address).toBe('web@usit.example.org');
    expect(fake.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it('gives up after the retries with an UpstreamError naming the host', async () => {
    // Prepare
    for (let i = 0; i < 3; i++) fake.failNext(503);
    // Act
    const failure = directory().lookup(['web1.uio.no']);
    // Assess
    await expect(failure).rejects.toThrow(UpstreamError);
    await expect(failure).rejects.toThrow(/127\.0\.0\.1:\d+: hostlist answered HTTP 503/);
    expect(fake.requests).toHaveLength(3);
  });
});
