// The one kubeconfig loading order: configured file, in-cluster ServiceAccount, $KUBECONFIG,
// ~/.kube/config; each step on its own, and the errors that name where a bad config came from.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../core/errors.ts';
import { kubeConfigSource, loadKubeConfig } from '../../../../runner/cluster/kubeconfig.ts';

const setting = (file?: string) => ({ key: 'runner.kubeconfig', file });
const nowhere = { home: '/nonexistent', exists: () => false };

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('kubeConfigSource', () => {
  it('prefers the configured file over everything else', () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBECONFIG: '/k' };
    expect(kubeConfigSource(setting('/cfg'), { env, ...nowhere })).toEqual({
      kind: 'file',
      path: '/cfg',
      from: 'runner.kubeconfig',
    });
  });

  it('uses the ServiceAccount in a pod, before $KUBECONFIG and ~/.kube/config', () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBECONFIG: '/k' };
    expect(kubeConfigSource(setting(), { env, home: '/home/u', exists: () => true })).toEqual({
      kind: 'in-cluster',
    });
  });

  it('outside a pod, takes the first $KUBECONFIG file, then ~/.kube/config, then nothing', () => {
    expect(kubeConfigSource(setting(), { env: { KUBECONFIG: ':/a:/b' }, ...nowhere })).toMatchObject({
      path: '/a',
      from: '$KUBECONFIG',
    });
    expect(
      kubeConfigSource(setting(), { env: {}, home: '/home/u', exists: (p) => p === '/home/u/.kube/config' }),
    ).toMatchObject({
      path: '/home/u/.kube/config',
      from: '~/.kube/config',
    });
    expect(kubeConfigSource(setting(), { env: {}, ...nowhere })).toBeUndefined();
  });
});

describe('loadKubeConfig', () => {
  it('loads a kubeconfig file with its current cluster', async () => {
    dir = await mkdtemp(join(tmpdir(), 'iw-kubeconfig-'));
    const file = join(dir, 'config');
    await writeFile(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
    const kc = loadKubeConfig(setting(), { env: { KUBECONFIG: file }, ...nowhere });
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
  });

  it('says which setting and which source failed', async () => {
    expect(() => loadKubeConfig(setting(), { env: {}, ...nowhere })).toThrow(
      /runner.kubeconfig is unset, this is not a pod/,
    );
    expect(() => loadKubeConfig(setting('/nonexistent/kubeconfig'), { env: {}, ...nowhere })).toThrow(
      ConfigError,
    );
    dir = await mkdtemp(join(tmpdir(), 'iw-kubeconfig-'));
    const empty = join(dir, 'config');
    await writeFile(empty, 'apiVersion: v1\nkind: Config\n');
    expect(() => loadKubeConfig(setting(), { env: { KUBECONFIG: empty }, ...nowhere })).toThrow(
      `runner.kubeconfig: ${empty} ($KUBECONFIG) names no current cluster`,
    );
  });
});
