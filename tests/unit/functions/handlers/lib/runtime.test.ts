import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../../core/errors.ts';
import { DynamoStateStore } from '../../../../../core/state/DynamoStateStore.ts';
import { createRuntime, once } from '../../../../../functions/handlers/lib/runtime.ts';

describe('createRuntime', () => {
  it('builds config, store and secret sources from the environment terraform sets', async () => {
    // Prepare
    const env = {
      IMAGEWARDEN_STATE__BACKEND: 'dynamodb',
      IMAGEWARDEN_STATE__TABLE: 'prod-state',
      IMAGEWARDEN_NOTIFY__TRANSPORT: 'ses',
      IMAGEWARDEN_NOTIFY__SEND_RATE: '2',
      AWS_LAMBDA_FUNCTION_NAME: 'imagewarden-notify',
    };

    // Act
    const runtime = createRuntime(env, 'notify');

    // Assess
    expect(runtime.config.state).toMatchObject({ backend: 'dynamodb', table: 'prod-state' });
    expect(runtime.config.notify).toMatchObject({ transport: 'ses', sendRate: 2 });
    expect(runtime.store).toBeInstanceOf(DynamoStateStore);
    expect(typeof runtime.secrets.secretsManager).toBe('function');
  });

  it('reads the bundled config file and lets the environment override it', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'iw-rt-'));
    try {
      const file = join(dir, 'imagewarden.json');
      await writeFile(file, JSON.stringify({ policy: { maxAgeDays: 14 }, log: { level: 'debug' } }));

      // Act
      const runtime = createRuntime(
        { IMAGEWARDEN_CONFIG: file, IMAGEWARDEN_LOG__LEVEL: 'warn' },
        'inventory',
      );

      // Assess
      expect(runtime.config.policy.maxAgeDays).toBe(14);
      expect(runtime.config.log.level).toBe('warn');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the bad key when the environment holds an invalid setting', () => {
    // Act
    const build = () => createRuntime({ IMAGEWARDEN_STATE__BACKEND: 'nosql' }, 'ack');

    // Assess
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(/state\.backend/);
  });
});

describe('once', () => {
  it('builds once per container but forgets a failed build', async () => {
    // Prepare
    let calls = 0;
    const get = once(async () => {
      calls += 1;
      if (calls === 1) throw new Error('secret not set yet');
      return calls;
    });

    // Act
    const first = get();
    await expect(first).rejects.toThrow('secret not set yet');
    const [second, third] = await Promise.all([get(), get()]);

    // Assess
    expect([second, third]).toEqual([2, 2]);
    expect(calls).toBe(2);
  });
});
