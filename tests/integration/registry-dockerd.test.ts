// The harness end to end with a real Docker Engine (dockerd, vfs) and a real htpasswd registry:
// images pushed through the registry API pull into dockerd with their labels and created
// time, and an image built with `docker import` pushes back and reads through RegistryClient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../core/image-reference.ts';
import { CredentialStore } from '../../core/registry/credentials.ts';
import { RegistryClient } from '../../core/registry/RegistryClient.ts';
import { type Dockerd, docker, startDockerd } from '../support/dockerd.ts';
import { importImage, pushImage } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';

describe('harness: dockerd pulls from and pushes to docker-registry (basic auth)', () => {
  let daemon: Dockerd;
  let registry: TestRegistry;
  let client: RegistryClient;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'basic' });
    daemon = await startDockerd();
    await docker(
      daemon,
      ['login', '--username', registry.username ?? '', '--password-stdin', registry.host],
      {
        input: registry.password ?? '',
      },
    );
    const credentials = new CredentialStore([
      [registry.host, { username: registry.username ?? '', password: registry.password ?? '' }],
    ]);
    client = new RegistryClient({ insecure: [registry.host], credentials });
  });
  afterAll(async () => {
    // stop both even when one stop fails
    await Promise.allSettled([daemon?.stop(), registry?.stop()]);
  });

  it('pulls an API-pushed image with the digest, labels and created time it was pushed with', async () => {
    // Prepare
    const image = await pushImage(registry, {
      repository: 'team/web',
      tag: '2.1',
      created: '2026-01-15T12:00:00Z',
      labels: { 'imagewarden.io/managed': 'true' },
    });
    // Act
    await docker(daemon, ['pull', image.reference]);
    const { stdout } = await docker(daemon, [
      'image',
      'inspect',
      '--format',
      '{{json .Config.Labels}}|{{.Created}}|{{index .RepoDigests 0}}',
      image.reference,
    ]);
    // Assess
    const [labels, created, repoDigest] = stdout.trim().split('|');
    expect(JSON.parse(labels ?? '{}')).toEqual({ 'imagewarden.io/managed': 'true' });
    expect(created).toBe('2026-01-15T12:00:00Z');
    expect(repoDigest).toBe(`${registry.host}/team/web@${image.digest}`);
  });

  it('pushes a docker-imported image that RegistryClient then reads, labels included', async () => {
    const reference = `${registry.host}/team/imported:1`;
    await importImage(daemon, reference, { labels: { owner: 'ops@example.org' } });
    await docker(daemon, ['push', reference]);
    const ref = parseImageReference(reference);
    const config = await client.getImageConfig(ref);
    expect(config.labels).toEqual({ owner: 'ops@example.org' });
    const { stdout } = await docker(daemon, [
      'image',
      'inspect',
      '--format',
      '{{index .RepoDigests 0}}',
      reference,
    ]);
    expect(stdout.trim()).toBe(`${registry.host}/team/imported@${await client.resolveDigest(ref)}`);
  });
});
