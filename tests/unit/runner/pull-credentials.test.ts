// Pull credentials from imagePullSecrets, service accounts and a mounted config, read through
// the real client against the Kubernetes API fake.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.ts';
import { KubeClusterReader } from '../../../runner/cluster/KubeClusterReader.ts';
import { loadPullCredentials } from '../../../runner/pull-credentials.ts';
import { KubeApiFake } from '../../support/kube-api-fake.ts';
import { desired } from './fakes.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const auths = (host: string, user: string) =>
  JSON.stringify({ auths: { [host]: { auth: b64(`${user}:pw-${user}`) } } });

function secret(name: string, data: Record<string, string>, type = 'kubernetes.io/dockerconfigjson') {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'shop' }, type, data };
}

describe('loadPullCredentials', () => {
  let api: KubeApiFake;
  let dir: string;
  beforeEach(async () => {
    api = await KubeApiFake.start();
    dir = await mkdtemp(join(tmpdir(), 'iw-creds-'));
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  });
  afterEach(async () => {
    expect(api.unhandled).toEqual([]);
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const reader = () => new KubeClusterReader({ kubeConfig: api.kubeConfig(), sleep: async () => {} });
  const ref = (name: string) => ({ namespace: 'shop', name });

  it('uses the workload pull secret, the service account secret and the legacy dockercfg format', async () => {
    // Prepare
    api.put(secret('regcred', { '.dockerconfigjson': b64(auths('a.corp', 'alice')) }));
    api.put(
      secret(
        'legacy',
        { '.dockercfg': b64(JSON.stringify({ 'c.corp': { auth: b64('carol:pw-carol') } })) },
        'kubernetes.io/dockercfg',
      ),
    );
    api.put(secret('sa-cred', { '.dockerconfigjson': b64(auths('b.corp', 'bob')) }));
    api.put({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'builder', namespace: 'shop' },
      imagePullSecrets: [{ name: 'sa-cred' }],
    });
    const images = [
      desired('a.corp/app:1', { pullSecrets: [ref('regcred')] }),
      desired('b.corp/app:1', { serviceAccounts: [ref('builder')] }),
      desired('c.corp/app:1', { pullSecrets: [ref('legacy')], serviceAccounts: [ref('default')] }),
    ];

    // Act
    const credentials = await loadPullCredentials(reader(), images, {}, silentLogger());

    // Assess
    expect(images.map((image) => credentials.credentialsFor(image)?.username)).toEqual([
      'alice',
      'bob',
      'carol',
    ]);
    expect(credentials.problems).toEqual([]);
  });

  it('reports a broken or missing secret and tries the image with what remains', async () => {
    // Prepare
    const mounted = join(dir, 'config.json');
    await writeFile(mounted, auths('a.corp', 'node'));
    api.put(secret('broken', { '.dockerconfigjson': b64('{"auths": {') }));
    const images = [desired('a.corp/app:1', { pullSecrets: [ref('broken'), ref('absent')] })];

    // Act
    const credentials = await loadPullCredentials(
      reader(),
      images,
      { dockerConfigFile: mounted },
      silentLogger(),
    );

    // Assess
    expect(credentials.credentialsFor(images[0] as never)?.username).toBe('node');
    expect(credentials.problems).toEqual([
      { secret: 'shop/broken', message: 'pull secret shop/broken: is not valid JSON' },
      { secret: 'shop/absent', message: 'pull secret not found' },
    ]);
  });

  it("prefers the image's own secret over the mounted config for the same registry", async () => {
    const mounted = join(dir, 'config.json');
    await writeFile(mounted, auths('a.corp', 'node'));
    api.put(secret('regcred', { '.dockerconfigjson': b64(auths('a.corp', 'alice')) }));
    const own = desired('a.corp/app:1', { pullSecrets: [ref('regcred')] });
    const other = desired('a.corp/other:1');
    const credentials = await loadPullCredentials(
      reader(),
      [own, other],
      { dockerConfigFile: mounted },
      silentLogger(),
    );
    expect(credentials.credentialsFor(own)?.username).toBe('alice');
    expect(credentials.credentialsFor(other)?.username).toBe('node');
    expect(credentials.keyFor(own)).toBe('shop/regcred');
  });

  it('with secret reading off uses only the mounted config and reads no Secret', async () => {
    const mounted = join(dir, 'config.json');
    await writeFile(mounted, auths('a.corp', 'node'));
    api.put(secret('regcred', { '.dockerconfigjson': b64(auths('a.corp', 'alice')) }));
    const image = desired('a.corp/app:1', {
      pullSecrets: [ref('regcred')],
      serviceAccounts: [ref('default')],
    });
    const credentials = await loadPullCredentials(
      reader(),
      [image],
      { dockerConfigFile: mounted, readSecrets: false },
      silentLogger(),
    );
    expect(credentials.credentialsFor(image)?.username).toBe('node');
    expect(api.requests).toEqual([]);
  });

  it('asks the ambient source (ECR) only for hosts no secret or mounted config covers, and reports its refusal', async () => {
    // Prepare
    const ecrHost = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
    const deniedHost = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
    api.put(secret('regcred', { '.dockerconfigjson': b64(auths('a.corp', 'alice')) }));
    const asked: string[] = [];
    const ambient = {
      lookup: async (host: string) => {
        asked.push(host);
        if (host === deniedHost)
          throw new Error(`${host}: Amazon ECR refused GetAuthorizationToken (AccessDeniedException)`);
        return host === ecrHost ? { username: 'AWS', password: 'ecr-token' } : undefined;
      },
    };
    const images = [
      desired('a.corp/app:1', { pullSecrets: [ref('regcred')] }),
      desired(`${ecrHost}/team/app:1`),
      desired(`${ecrHost}/team/other:1`),
      desired(`${deniedHost}/team/app:1`),
      desired('docker.io/library/nginx:1'),
    ];

    // Act
    const credentials = await loadPullCredentials(reader(), images, { ambient }, silentLogger());

    // Assess
    expect(images.map((image) => credentials.credentialsFor(image))).toEqual([
      { username: 'alice', password: 'pw-alice' },
      { username: 'AWS', password: 'ecr-token' },
      { username: 'AWS', password: 'ecr-token' },
      undefined,
      undefined,
    ]);
    expect(credentials.storeFor(images[1] as never).get(ecrHost)?.password).toBe('ecr-token');
    expect(asked.sort()).toEqual([ecrHost, deniedHost, 'docker.io'].sort());
    expect(credentials.problems).toEqual([
      {
        secret: `registry credentials for ${deniedHost}`,
        message: `${deniedHost}: Amazon ECR refused GetAuthorizationToken (AccessDeniedException)`,
      },
    ]);
  });
});
