// Amazon ECR credentials end to end: a real docker-registry (htpasswd with the user `AWS`)
// stands in for the ECR registry, and a fake ECR API (tests/support/ecr-fake.ts) answers
// GetAuthorizationToken to the real AWS SDK v3 client. The registry's loopback host is mapped
// to ECR with `registry.ecr.hosts` (a loopback address cannot carry an ECR name). Covered:
// tag resolution with the token (the inventory's path), Clair's layer URLs and headers (the
// scan's path), one token call for many requests, a refresh after expiry on an injected
// clock, and a refusal from ECR as an AuthError naming the host.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEcrTokenProvider } from '../../core/aws/ecrAuthorization.ts';
import { ManualClock } from '../../core/clock.ts';
import { Config } from '../../core/config/schema.ts';
import { AuthError, UpstreamError } from '../../core/errors.ts';
import { parseImageReference } from '../../core/image-reference.ts';
import { silentLogger } from '../../core/logger.ts';
import { EcrCredentialSource } from '../../core/registry/EcrCredentialSource.ts';
import { registryClientFromConfig } from '../../core/registry/fromConfig.ts';
import { RegistryClient } from '../../core/registry/RegistryClient.ts';
import { buildClairManifest } from '../../functions/scan/buildClairManifest.ts';
import { ECR_REGISTRY_USER, type EcrFake, FAKE_AWS_CREDENTIALS, startEcrFake } from '../support/ecr-fake.ts';
import { type PushedImage, pushImage } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';

const HOUR = 3_600_000;
const REGION = 'eu-west-1';

describe('Amazon ECR tokens (fake ECR API, real AWS SDK client) against docker-registry', () => {
  let registry: TestRegistry;
  let ecr: EcrFake;
  let app: PushedImage;
  const clock = new ManualClock('2026-06-01T08:00:00Z');

  const tokenProvider = () =>
    createEcrTokenProvider({
      endpoint: ecr.endpoint,
      clientConfig: { credentials: FAKE_AWS_CREDENTIALS, maxAttempts: 1 },
    });

  function ecrClient(): RegistryClient {
    const source = new EcrCredentialSource({
      fetchToken: tokenProvider(),
      clock,
      extraHosts: { [registry.host]: REGION },
    });
    return new RegistryClient({ credentials: source, insecure: [registry.host], retries: 0, clock });
  }

  beforeAll(async () => {
    [registry, ecr] = await Promise.all([
      startRegistry({ auth: 'basic', user: ECR_REGISTRY_USER }),
      startEcrFake({ clock, tokenLifetimeS: 12 * 3600 }),
    ]);
    app = await pushImage(registry, { repository: 'team/app', tag: '1', labels: { app: 'yes' } });
    for (const tag of ['2', '3', '4'])
      await pushImage(registry, { repository: 'team/app', tag, labels: { tag } });
  });

  afterAll(async () => {
    const unexpected = ecr?.unexpected ?? [];
    await Promise.allSettled([registry?.stop(), ecr?.stop()]);
    expect(unexpected).toEqual([]);
  });

  beforeEach(() => {
    ecr.calls.length = 0;
    ecr.deny = false;
    ecr.hang = false;
  });

  it('resolves tags and reads the image config with the token, from one token call for many requests', async () => {
    // Prepare
    const client = ecrClient();

    // Act
    const digests = [];
    for (const tag of ['1', '2', '3', '4']) {
      digests.push(await client.resolveDigest(parseImageReference(`${registry.host}/team/app:${tag}`)));
    }
    const config = await client.getImageConfig(parseImageReference(`${registry.host}/team/app:1`));

    // Assess
    expect(digests[0]).toBe(app.digest);
    expect(new Set(digests).size).toBe(4);
    expect(config.labels).toEqual({ app: 'yes' });
    expect(ecr.calls).toEqual([
      { region: REGION, accessKeyId: FAKE_AWS_CREDENTIALS.accessKeyId, status: 200 },
    ]);
  });

  it('gives Clair layer URLs with the ECR basic credentials, which the registry accepts', async () => {
    // Prepare
    const client = ecrClient();

    // Act
    const built = await buildClairManifest(parseImageReference(app.reference), client);

    // Assess
    const [layer] = built.manifest.layers;
    const header = layer?.headers.Authorization?.[0] ?? '';
    expect(Buffer.from(header.replace(/^Basic /, ''), 'base64').toString()).toBe(
      `AWS:${ECR_REGISTRY_USER.password}`,
    );
    // what Clair's indexer does with the entry
    const res = await fetch(layer?.uri ?? '', { headers: { authorization: header } });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    const anonymous = await fetch(layer?.uri ?? '');
    await anonymous.arrayBuffer();
    expect(anonymous.status).toBe(401);
    expect(ecr.calls).toHaveLength(1);
  });

  it('asks for a new token only once the cached one is about to expire', async () => {
    // Prepare
    const client = ecrClient();
    const ref = parseImageReference(`${registry.host}/team/app:1`);
    await client.resolveDigest(ref);

    // Act: 11 h 50 min later the token is still good; 11 h 56 min is inside the 5-minute margin
    clock.advance(11 * HOUR + 50 * 60_000);
    await client.resolveDigest(ref);
    const callsBeforeMargin = ecr.calls.length;
    clock.advance(6 * 60_000);
    await client.resolveDigest(ref);
    await client.resolveDigest(ref);

    // Assess
    expect(callsBeforeMargin).toBe(1);
    expect(ecr.calls).toHaveLength(2);
  });

  it('fails with an AuthError naming the registry host when ECR refuses the token', async () => {
    // Prepare
    ecr.deny = true;
    const client = ecrClient();

    // Act
    const attempt = client.resolveDigest(parseImageReference(`${registry.host}/team/app:1`));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(AuthError);
    await expect(attempt).rejects.toThrow(
      new RegExp(
        `^${registry.host.replace(/\./g, '\\.')}: Amazon ECR refused GetAuthorizationToken in eu-west-1 \\(AccessDeniedException: .*ecr:GetAuthorizationToken`,
      ),
    );
  });

  it('gives up on an ECR API that never answers after the request timeout, naming the host', async () => {
    // Prepare
    ecr.hang = true;
    const source = new EcrCredentialSource({
      fetchToken: createEcrTokenProvider({
        endpoint: ecr.endpoint,
        timeoutMs: 300,
        clientConfig: { credentials: FAKE_AWS_CREDENTIALS, maxAttempts: 1 },
      }),
      clock,
      extraHosts: { [registry.host]: REGION },
    });

    // Act
    const attempt = source.lookup(registry.host);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(UpstreamError);
    await expect(attempt).rejects.not.toBeInstanceOf(AuthError);
    await expect(attempt).rejects.toThrow(
      `${registry.host}: Amazon ECR GetAuthorizationToken in ${REGION} failed (no answer in 300 ms)`,
    );
    expect(ecr.calls).toHaveLength(1);
  });

  it('does it from config alone (registry.ecr), with the SDK default credential chain', async () => {
    // Prepare: the chain's first step, environment variables, as on a node with them set
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENVCHAIN';
    process.env.AWS_SECRET_ACCESS_KEY = 'from-env';
    const config = Config.parse({
      registry: {
        insecure: [registry.host],
        retries: 0,
        ecr: { endpoint: ecr.endpoint, hosts: { [registry.host]: REGION } },
      },
    });
    try {
      // Act
      const client = await registryClientFromConfig(config, silentLogger());
      const digest = await client.resolveDigest(parseImageReference(`${registry.host}/team/app:1`));

      // Assess
      expect(digest).toBe(app.digest);
      expect(ecr.calls).toEqual([{ region: REGION, accessKeyId: 'AKIDFROMENVCHAIN', status: 200 }]);
    } finally {
      for (const [name, value] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('without registry.ecr the same registry refuses the anonymous request', async () => {
    // Prepare
    const config = Config.parse({
      registry: { insecure: [registry.host], retries: 0, ecr: { enabled: false } },
    });

    // Act
    const client = await registryClientFromConfig(config, silentLogger());
    const attempt = client.resolveDigest(parseImageReference(`${registry.host}/team/app:1`));

    // Assess
    await expect(attempt).rejects.toThrow(/requires credentials \(Basic auth\) and none are configured/);
    expect(ecr.calls).toEqual([]);
  });
});
