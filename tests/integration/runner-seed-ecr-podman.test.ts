// The runner's half of Amazon ECR: a node pass through Podman's API pulls an image from a
// real docker-registry that accepts only `AWS` with the token of the fake ECR API, the token
// got by the real AWS SDK client with the default credential chain (environment variables
// here, the node's or pod's role on EKS). The registry's loopback host is mapped to ECR with
// `registry.ecr.hosts`. The runner's manifest HEADs and Podman's pull both use the token;
// ECR refusing the token is reported as an unusable credential and the pull fails as auth.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../core/config/schema.ts';
import { createLogger } from '../../core/logger.ts';
import { runNodePass } from '../../runner/node-pass.ts';
import { productionPorts } from '../../runner/production-ports.ts';
import type { RunReport } from '../../runner/report.ts';
import { ECR_REGISTRY_USER, type EcrFake, startEcrFake } from '../support/ecr-fake.ts';
import { type PushedImage, pushImage } from '../support/images.ts';
import { KubeApiFake, type KubeObject } from '../support/kube-api-fake.ts';
import { type Podman, podmanCli, startPodman } from '../support/podman.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';

const NODE = 'eks-node';
const REGION = 'eu-west-1';

function deployment(name: string, image: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
    },
  };
}

describe('runner pulls from ECR (fake token API, docker-registry) through the Podman API', () => {
  let registry: TestRegistry;
  let ecr: EcrFake;
  let podman: Podman;
  let api: KubeApiFake;
  let dir: string;
  let app: PushedImage;
  const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

  async function pass(): Promise<RunReport> {
    const cfg = Config.parse({
      registry: {
        insecure: [registry.host],
        retries: 0,
        ecr: { endpoint: ecr.endpoint, hosts: { [registry.host]: REGION } },
      },
      runner: {
        nodeName: NODE,
        kubeconfig: join(dir, 'kubeconfig.yaml'),
        runtime: 'docker',
        socket: podman.socket,
        stateDir: join(dir, 'state'),
        imageStorePath: podman.root,
        minFreeBytes: 0,
        pullRetries: 0,
        pullTimeout: '2m',
      },
    });
    const logger = createLogger({ level: 'silent' });
    return runNodePass(productionPorts(cfg, logger, {}), {
      nodeName: NODE,
      config: cfg.runner,
      dryRun: false,
    });
  }

  beforeAll(async () => {
    // the SDK's default chain starts with these, as a node or pod role would supply them
    process.env.AWS_ACCESS_KEY_ID = 'AKIDNODEROLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'node-role-secret';
    dir = await mkdtemp(join(tmpdir(), 'iw-seed-ecr-'));
    [registry, ecr, api] = await Promise.all([
      startRegistry({ auth: 'basic', user: ECR_REGISTRY_USER }),
      startEcrFake(),
      KubeApiFake.start(),
    ]);
    podman = await startPodman({ insecureRegistries: [registry.host] });
    app = await pushImage(registry, { repository: 'team/app', tag: '1' });
    await pushImage(registry, { repository: 'team/late', tag: '1' });
    await writeFile(join(dir, 'kubeconfig.yaml'), api.kubeconfigYaml());
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    api.put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } },
      spec: {},
      status: { nodeInfo: { containerRuntimeVersion: 'cri-o://1.30.4' } },
    });
    api.put(deployment('app', `${registry.host}/team/app:1`));
  });

  afterAll(async () => {
    for (const [name, value] of [
      ['AWS_ACCESS_KEY_ID', savedEnv.id],
      ['AWS_SECRET_ACCESS_KEY', savedEnv.secret],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    const unexpected = ecr?.unexpected ?? [];
    const unhandled = api?.unhandled ?? [];
    await Promise.allSettled([podman?.stop(), registry?.stop(), ecr?.stop(), api?.stop()]);
    await rm(dir, { recursive: true, force: true });
    expect(unexpected).toEqual([]);
    expect(unhandled).toEqual([]);
  });

  it('pulls the ECR image with one token for the HEAD and the pull, without any pull secret', async () => {
    // Act
    const report = await pass();

    // Assess
    const image = report.seed?.images.find((i) => i.reference === `${registry.host}/team/app:1`);
    expect(image).toMatchObject({ outcome: 'pulled', digest: app.digest });
    expect(report.secretProblems).toEqual([]);
    expect(report.exitCode).toBe(0);
    expect(ecr.calls).toEqual([{ region: REGION, accessKeyId: 'AKIDNODEROLE', status: 200 }]);
    const { stdout } = await podmanCli(podman, [
      'image',
      'inspect',
      '--format',
      '{{json .RepoDigests}}',
      `${registry.host}/team/app:1`,
    ]);
    expect(JSON.parse(stdout)).toContain(`${registry.host}/team/app@${app.digest}`);
  });

  it('reports ECR refusing the token and fails the new image as an auth failure', async () => {
    // Prepare
    ecr.deny = true;
    api.put(deployment('late', `${registry.host}/team/late:1`));

    // Act
    const report = await pass();

    // Assess
    expect(report.secretProblems).toEqual([
      {
        secret: `registry credentials for ${registry.host}`,
        message: expect.stringMatching(
          new RegExp(
            `^${registry.host}: Amazon ECR refused GetAuthorizationToken in ${REGION} \\(AccessDeniedException`,
          ),
        ),
      },
    ]);
    const late = report.seed?.images.find((i) => i.reference === `${registry.host}/team/late:1`);
    expect(late).toMatchObject({ outcome: 'failed', errorKind: 'auth' });
    expect(report.exitCode).toBe(1);
    await expect(podmanCli(podman, ['image', 'exists', `${registry.host}/team/late:1`])).rejects.toThrow();
  });
});
