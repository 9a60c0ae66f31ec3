// RegistryClient against real registries (Debian docker-registry, distribution 2.8) started by
// the harness: anonymous, htpasswd basic auth, and token auth with the test JWT issuer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, NotFoundError, UpstreamError } from '../../core/errors.ts';
import { parseImageReference } from '../../core/image-reference.ts';
import { CredentialStore } from '../../core/registry/credentials.ts';
import { MediaType } from '../../core/registry/mediaTypes.ts';
import { RegistryClient } from '../../core/registry/RegistryClient.ts';
import {
  deleteManifest,
  type PushedImage,
  type PushedIndex,
  pushImage,
  pushIndex,
} from '../support/images.ts';
import { freePort } from '../support/ports.ts';
import {
  dockerConfigJson,
  type RegistryAuth,
  startRegistry,
  type TestRegistry,
} from '../support/registry.ts';

describe.each<RegistryAuth>(['none', 'basic', 'token'])(
  'RegistryClient against docker-registry (auth: %s)',
  (auth) => {
    let registry: TestRegistry;
    let image: PushedImage;
    let dockerList: PushedIndex;
    let ociIndex: PushedIndex;
    let client: RegistryClient;

    beforeAll(async () => {
      registry = await startRegistry({ auth });
      image = await pushImage(registry, {
        repository: 'team/app',
        tag: '1.0',
        created: '2026-02-03T04:05:06Z',
        labels: { 'imagewarden.io/owner': 'team-a@example.org' },
      });
      const platforms = [
        { os: 'linux', architecture: 'amd64', labels: { arch: 'amd64' } },
        { os: 'linux', architecture: 'arm64', variant: 'v8', labels: { arch: 'arm64' } },
      ];
      dockerList = await pushIndex(registry, { repository: 'team/multi', tag: 'docker', platforms });
      ociIndex = await pushIndex(registry, {
        repository: 'team/multi',
        tag: 'oci',
        platforms,
        format: 'oci',
      });
      const credentials =
        auth === 'none'
          ? undefined
          : CredentialStore.fromDockerConfig(dockerConfigJson(registry), 'pull secret');
      client = new RegistryClient({ insecure: [registry.host], ...(credentials ? { credentials } : {}) });
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it('pings the registry', async () => {
      expect(await client.ping(registry.host)).toEqual({ ok: true });
    });

    it('resolves a tag to the pushed digest by HEAD', async () => {
      expect(await client.resolveDigest(parseImageReference(image.reference))).toBe(image.digest);
    });

    it('gets the manifest verified against its digest', async () => {
      const result = await client.getManifest(parseImageReference(image.reference));
      expect(result.digest).toBe(image.digest);
      expect(result.kind).toBe('manifest');
      expect(result.mediaType).toBe(MediaType.dockerManifest);
    });

    it('reads created and labels from the config blob', async () => {
      const config = await client.getImageConfig(parseImageReference(image.reference));
      expect(config).toEqual({
        created: '2026-02-03T04:05:06Z',
        labels: { 'imagewarden.io/owner': 'team-a@example.org' },
        os: 'linux',
        architecture: 'amd64',
      });
    });

    it.each(['docker', 'oci'] as const)('chooses the platform from a multi-arch %s index', async (format) => {
      const index = format === 'docker' ? dockerList : ociIndex;
      const ref = parseImageReference(index.reference);
      expect(await client.resolveDigest(ref)).toBe(index.digest);
      const amd64 = await client.resolvePlatformManifest(ref);
      expect(amd64.indexDigest).toBe(index.digest);
      expect(amd64.digest).toBe(index.manifests[0]?.digest);
      const armClient = new RegistryClient({
        insecure: [registry.host],
        platform: { os: 'linux', architecture: 'arm64' },
        ...(auth === 'none'
          ? {}
          : { credentials: CredentialStore.fromDockerConfig(dockerConfigJson(registry)) }),
      });
      const arm = await armClient.resolvePlatformManifest(ref);
      expect(arm.digest).toBe(index.manifests[1]?.digest);
      expect((await armClient.getImageConfig(ref)).labels).toEqual({ arch: 'arm64' });
    });

    it('gives a blob location and headers with which a third party can fetch the blob', async () => {
      const config = await client.getManifest(parseImageReference(image.reference));
      if (config.kind !== 'manifest') throw new Error('expected an image manifest');
      const layer = config.manifest.layers[0];
      if (!layer) throw new Error('expected a layer');
      const location = await client.resolveBlobLocation(registry.host, 'team/app', layer.digest);
      expect(location.url).toBe(client.blobUrl(registry.host, 'team/app', layer.digest));
      expect(location.headers.Authorization !== undefined).toBe(auth !== 'none');
      const res = await fetch(location.url, { headers: location.headers });
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBe(layer.size);
    });

    it('gives NotFoundError once a manifest is deleted from the registry', async () => {
      const gone = await pushImage(registry, { repository: 'team/gone', tag: '1', labels: { v: auth } });
      const ref = parseImageReference(gone.reference);
      expect(await client.resolveDigest(ref)).toBe(gone.digest);
      await deleteManifest(registry, 'team/gone', gone.digest);
      await expect(client.resolveDigest(ref)).rejects.toThrow(NotFoundError);
    });

    it('gives NotFoundError for a tag that does not exist', async () => {
      await expect(
        client.resolveDigest(parseImageReference(`${registry.host}/team/app:missing`)),
      ).rejects.toThrow(NotFoundError);
    });
  },
);

describe('RegistryClient auth failures against docker-registry', () => {
  let basic: TestRegistry;
  let token: TestRegistry;
  beforeAll(async () => {
    basic = await startRegistry({ auth: 'basic' });
    token = await startRegistry({ auth: 'token' });
    await pushImage(basic, { repository: 'team/app', tag: '1' });
    await pushImage(token, { repository: 'team/app', tag: '1' });
  });
  afterAll(async () => {
    // stop both even when one stop fails
    await Promise.allSettled([basic?.stop(), token?.stop()]);
  });

  it('refuses anonymous and wrong credentials with AuthError (basic)', async () => {
    const ref = parseImageReference(`${basic.host}/team/app:1`);
    await expect(new RegistryClient({ insecure: [basic.host] }).resolveDigest(ref)).rejects.toThrow(
      AuthError,
    );
    const wrong = new CredentialStore([[basic.host, { username: 'imagewarden', password: 'wrong' }]]);
    await expect(
      new RegistryClient({ insecure: [basic.host], credentials: wrong }).resolveDigest(ref),
    ).rejects.toThrow(AuthError);
  });

  it('refuses anonymous pulls and wrong credentials with AuthError (token), asking the issuer once each', async () => {
    const ref = parseImageReference(`${token.host}/team/app:1`);
    const before = token.issuer?.requests.length ?? 0;
    await expect(new RegistryClient({ insecure: [token.host] }).resolveDigest(ref)).rejects.toThrow(
      AuthError,
    );
    const wrong = new CredentialStore([[token.host, { username: 'imagewarden', password: 'wrong' }]]);
    await expect(
      new RegistryClient({ insecure: [token.host], credentials: wrong }).resolveDigest(ref),
    ).rejects.toThrow(/refused the credentials/);
    expect((token.issuer?.requests.length ?? 0) - before).toBe(2);
  });

  it('reuses one token for many lookups in the same repository', async () => {
    const credentials = new CredentialStore([
      [token.host, { username: token.username ?? '', password: token.password ?? '' }],
    ]);
    const client = new RegistryClient({ insecure: [token.host], credentials });
    const before = token.issuer?.requests.length ?? 0;
    for (let i = 0; i < 5; i++) await client.resolveDigest(parseImageReference(`${token.host}/team/app:1`));
    expect((token.issuer?.requests.length ?? 0) - before).toBe(1);
  });

  it('reports a registry port with nothing listening as down, quickly', async () => {
    const host = `127.0.0.1:${await freePort()}`;
    const client = new RegistryClient({ insecure: [host], retries: 0 });
    const ping = await client.ping(host);
    expect(ping.ok).toBe(false);
    await expect(client.resolveDigest(parseImageReference(`${host}/team/app:1`))).rejects.toThrow(
      UpstreamError,
    );
  });
});
