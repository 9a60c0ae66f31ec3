// `registry.caFile` against a real docker-registry serving HTTPS with a certificate from a
// throwaway CA (openssl): trusted with the CA's PEM in registry.caFile, refused clearly (and
// without retries) when it is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../core/config/schema.ts';
import { UpstreamError } from '../../core/errors.ts';
import { parseImageReference } from '../../core/image-reference.ts';
import { silentLogger } from '../../core/logger.ts';
import { registryClientFromConfig } from '../../core/registry/fromConfig.ts';
import { type PushedImage, pushImage } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';

describe('registry.caFile with docker-registry over TLS (private CA)', () => {
  let registry: TestRegistry;
  let app: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none', tls: true });
    app = await pushImage(registry, { repository: 'team/app', tag: '1', labels: { ca: 'private' } });
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('trusts the registry with its CA in registry.caFile', async () => {
    // Prepare
    const config = Config.parse({ registry: { caFile: registry.caFile, retries: 0 } });
    const client = await registryClientFromConfig(config, silentLogger());
    const ref = parseImageReference(app.reference);

    // Act
    const digest = await client.resolveDigest(ref);
    const imageConfig = await client.getImageConfig(ref);

    // Assess
    expect(registry.url).toMatch(/^https:/);
    expect(digest).toBe(app.digest);
    expect(imageConfig.labels).toEqual({ ca: 'private' });
  });

  it('refuses it without the CA, naming the host, the certificate problem and registry.caFile', async () => {
    // Prepare: retries would only repeat the same refusal
    const config = Config.parse({ registry: { retries: 3 } });
    const client = await registryClientFromConfig(config, silentLogger());

    // Act
    const attempt = client.resolveDigest(parseImageReference(app.reference));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(UpstreamError);
    await expect(attempt).rejects.toThrow(
      `${registry.host}: HEAD ${registry.host}/v2/team/app/manifests/1: TLS certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE); put the PEM of the CA that signed it in registry.caFile`,
    );
  });

  it('trusts only the CAs of the bundle: a registry signed by another CA is still refused', async () => {
    // Prepare: another TLS registry with a CA of its own
    const other = await startRegistry({ auth: 'none', tls: true });
    try {
      const config = Config.parse({ registry: { caFile: registry.caFile, retries: 0 } });
      const client = await registryClientFromConfig(config, silentLogger());

      // Act
      const attempt = client.resolveDigest(parseImageReference(`${other.host}/team/app:1`));

      // Assess
      await expect(attempt).rejects.toThrow(/TLS certificate not trusted/);
    } finally {
      await other.stop();
    }
  });
});
