// The start check of each function's secrets: a missing required one fails with the ARN, a
// missing optional one turns its feature off with one summary line and a metric, and a secret
// that cannot be read for another reason is not mistaken for a missing one. The Secrets
// Manager lookup is the real one, on a client answering as Secrets Manager does.
import { describe, expect, it } from 'vitest';
import { createSecretsManagerLookup } from '../../../core/aws/secretsManagerLookup.ts';
import { parseConfig } from '../../../core/config/load.ts';
import { createLogger } from '../../../core/logger.ts';
import { checkFunctionSecrets, FUNCTION_SECRETS, type FunctionName } from '../../../core/secrets-check.ts';

const arn = (name: string) =>
  `arn:aws:secretsmanager:eu-north-1:123456789012:secret:imagewarden/${name}-AbCdEf`;

/** Secrets Manager as Terraform leaves it: these secrets set, the others created without a value. */
function secretsManager(values: Record<string, string>, denied: string[] = []) {
  const client = {
    send: async (command: { input: { SecretId: string } }) => {
      const id = command.input.SecretId;
      if (denied.includes(id))
        throw Object.assign(new Error('not authorized'), {
          name: 'AccessDeniedException',
          $metadata: { httpStatusCode: 400 },
        });
      const value = values[id];
      if (value === undefined)
        throw Object.assign(
          new Error("Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"),
          {
            name: 'ResourceNotFoundException',
            $metadata: { httpStatusCode: 400 },
          },
        );
      return { SecretString: value };
    },
  };
  return createSecretsManagerLookup({ client: client as never });
}

/** The config terraform deploys (every secret reference an ARN), as the functions load it. */
const config = parseConfig({
  inventory: {
    source: 'elasticsearch',
    elasticsearch: { node: 'https://es.example.org', apiKey: arn('elasticsearch-api-key') },
  },
  owners: { nivlheim: { url: 'https://nivlheim.example.org', apiKey: arn('nivlheim-api-key') } },
  scan: { clair: { url: 'https://clair.example.org', psk: arn('clair-psk') } },
  notify: { ack: { hmacKey: arn('ack-hmac-key') }, selinuxFindings: { index: 'selinux' } },
});
const env = {
  AWS_LAMBDA_FUNCTION_NAME: 'imagewarden-x',
  REGISTRY_DOCKER_CONFIG_SECRET: arn('registry-docker-config'),
};

function run(fn: FunctionName, set: string[], denied: string[] = []) {
  const logs: Array<Record<string, unknown>> = [];
  const metrics: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (l: string) => logs.push(JSON.parse(l)) },
  });
  const values = Object.fromEntries(
    set.map((name) => [arn(name), name === 'registry-docker-config' ? '{"auths":{}}' : 'x'.repeat(40)]),
  );
  const result = checkFunctionSecrets(fn, config, env, {
    secrets: { secretsManager: secretsManager(values, denied.map(arn)), env: {} },
    logger,
    functionName: `imagewarden-${fn}`,
    write: (l) => metrics.push(l),
    now: () => 1_700_000_000_000,
  });
  return { result, logs, metrics };
}

const ALL = [
  'elasticsearch-api-key',
  'nivlheim-api-key',
  'clair-psk',
  'ack-hmac-key',
  'registry-docker-config',
];

describe('checkFunctionSecrets', () => {
  it('fails each function once, naming the ARN, when a required secret has no value', async () => {
    // Prepare: per function, every secret set except its required ones, one at a time
    const cases = Object.entries(FUNCTION_SECRETS).flatMap(([fn, uses]) =>
      uses.filter((u) => u.required).map((u) => ({ fn: fn as FunctionName, secret: u.secret })),
    );

    // Act + Assess
    expect(cases.map((c) => `${c.fn}:${c.secret}`)).toEqual([
      'inventory:elasticsearch-api-key',
      'scan-worker:clair-psk',
      'notify:ack-hmac-key',
      'ack:ack-hmac-key',
      'clair-webhook:clair-psk',
    ]);
    for (const { fn, secret } of cases) {
      const { result } = run(
        fn,
        ALL.filter((s) => s !== secret),
      );
      await expect(result, `${fn} without ${secret}`).rejects.toThrow(
        `required secret ${arn(secret)} (${secret}) has no value, so ${fn} cannot run`,
      );
    }
  });

  it('turns off the feature of a missing optional secret, with one summary line and a metric', async () => {
    // Prepare + Act: the inventory with only its required secret set
    const { result, logs, metrics } = run('inventory', ['elasticsearch-api-key']);
    const checked = await result;

    // Assess
    expect(checked.degraded.map((d) => d.secret)).toEqual([
      'nivlheim-api-key',
      'clair-psk',
      'registry-docker-config',
    ]);
    expect(checked.config.owners.nivlheim).toBeUndefined();
    expect(checked.config.scan.clair).toBeUndefined();
    expect(checked.env.REGISTRY_DOCKER_CONFIG_SECRET).toBeUndefined();
    expect(checked.config.inventory.elasticsearch?.apiKey).toBe(arn('elasticsearch-api-key'));
    expect(logs).toHaveLength(1);
    expect(logs[0]?.msg).toBe(
      'optional secrets not set, running without: host owners from Nivlheim (nivlheim-api-key), processing Clair notifications (clair-psk), private registry credentials (registry-docker-config)',
    );
    expect(metrics).toHaveLength(1);
    expect(JSON.parse(metrics[0] ?? '{}')).toMatchObject({
      FunctionName: 'imagewarden-inventory',
      SecretsMissing: 3,
    });
  });

  it('changes nothing and says nothing when every secret is set', async () => {
    for (const fn of Object.keys(FUNCTION_SECRETS) as FunctionName[]) {
      // Act
      const { result, logs, metrics } = run(fn, ALL);
      const checked = await result;

      // Assess
      expect(checked.degraded, fn).toEqual([]);
      expect(checked.config, fn).toBe(config);
      expect([...logs, ...metrics], fn).toEqual([]);
    }
  });

  it('does not take a secret it may not read for a missing one', async () => {
    // Act
    const { result } = run('notify', ALL, ['nivlheim-api-key']);

    // Assess: the access problem itself, not a degraded feature
    await expect(result).rejects.toThrow(/Secrets Manager lookup failed/);
  });
});
