import { describe, expect, it } from 'vitest';
import {
  configFromEnv,
  loadConfig,
  mergeLayers,
  parseConfig,
  readConfigFile,
} from '../../../../core/config/load.ts';
import { ConfigError } from '../../../../core/errors.ts';

const files = (map: Record<string, string>) => (path: string) => {
  const text = map[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file ${path}`), { code: 'ENOENT' });
  return text;
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills every default when nothing is given', () => {
    const { config, file } = loadConfig({ env: {} });
    expect(file).toBeUndefined();
    expect(config.policy.maxAgeDays).toBe(30);
    expect(config.scan.minSeverity).toBe('High');
    expect(config.inventory.lookback).toBe(2 * 3_600_000);
    expect(config.runner.prune.retention).toBe(72 * 3_600_000);
    expect(config.runner.prune.schedule).toBe('0 3 * * *');
    expect(config.notify.transport).toBe('outbox');
    expect(config.state.backend).toBe('file');
  });

  it('layers file < environment < overrides', () => {
    const read = files({
      '/c.yaml':
        'policy:\n  maxAgeDays: 14\n  approvedRegistries: [harbor.example]\nscan:\n  concurrency: 2\n',
    });
    const { config } = loadConfig({
      file: '/c.yaml',
      read,
      env: { IMAGEWARDEN_SCAN__CONCURRENCY: '6', IMAGEWARDEN_SCAN__CLAIR__URL: 'http://clair:6060' },
      overrides: { policy: { maxAgeDays: 7 } },
    });
    expect(config.policy.maxAgeDays).toBe(7);
    expect(config.policy.approvedRegistries).toEqual(['harbor.example']);
    expect(config.scan.concurrency).toBe(6);
    expect(config.scan.clair?.url).toBe('http://clair:6060');
  });

  it('takes the file from IMAGEWARDEN_CONFIG when --config is absent', () => {
    const read = files({ '/env.yaml': 'log:\n  level: debug\n' });
    const { config, file } = loadConfig({ env: { IMAGEWARDEN_CONFIG: '/env.yaml' }, read });
    expect(file).toBe('/env.yaml');
    expect(config.log.level).toBe('debug');
  });

  it('takes the file layer as inline JSON from IMAGEWARDEN_CONFIG_JSON (Lambda), under the environment', () => {
    const env = {
      IMAGEWARDEN_CONFIG_JSON: '{"policy":{"maxAgeDays":14},"log":{"level":"debug"}}',
      IMAGEWARDEN_LOG__LEVEL: 'warn',
    };
    const { config, file } = loadConfig({ env });
    expect(file).toBeUndefined();
    expect(config.policy.maxAgeDays).toBe(14);
    expect(config.log.level).toBe('warn');
    expect(configError(() => loadConfig({ env: { IMAGEWARDEN_CONFIG_JSON: '{policy' } })).message).toContain(
      'IMAGEWARDEN_CONFIG_JSON is not valid JSON',
    );
  });

  it('names the exact key and the bad value', () => {
    const read = files({
      '/bad.yaml':
        'scan:\n  clair:\n    url: "clair:6060"\npolicy:\n  maxAgeDays: -1\nrunner:\n  prune:\n    retention: soon\n',
    });
    const error = configError(() => loadConfig({ file: '/bad.yaml', read, env: {} }));
    expect(error.issues).toContain('scan.clair.url: expected an http(s) URL, got "clair:6060"');
    expect(error.issues.some((i) => i.startsWith('policy.maxAgeDays:'))).toBe(true);
    expect(error.issues).toContain(
      'runner.prune.retention: expected a duration like 90s, 15m, 2h or 7d, got "soon"',
    );
    expect(error.message).toContain('/bad.yaml');
  });

  it('rejects unknown keys, naming them', () => {
    const error = configError(() => parseConfig({ scan: { concurency: 3 } }));
    expect(error.issues).toEqual(['scan: unknown key(s) "concurency"']);
  });

  it('rejects an inline secret without echoing it', () => {
    const error = configError(() => parseConfig({ notify: { smtp: { host: 'mail', password: 'hunter2' } } }));
    expect(error.message).toContain('notify.smtp.password: expected a secret reference');
    expect(error.message).not.toContain('hunter2');
  });

  it('rejects a bad enum with the allowed values and the bad one', () => {
    const error = configError(() => parseConfig({ notify: { transport: 'pigeon' } }));
    expect(error.issues[0]).toMatch(/^notify\.transport: .*"outbox".*got "pigeon"$/);
  });

  it('reports unreadable and malformed files clearly', () => {
    expect(configError(() => readConfigFile('/missing.yaml', files({})))).toHaveProperty(
      'message',
      expect.stringContaining('cannot read config file /missing.yaml'),
    );
    expect(configError(() => readConfigFile('/x.json', files({ '/x.json': '{"a":' }))).message).toContain(
      'not valid JSON',
    );
    expect(
      configError(() => readConfigFile('/x.yaml', files({ '/x.yaml': '- a\n- b\n' }))).message,
    ).toContain('must hold a mapping');
  });
});

describe('configFromEnv', () => {
  it('nests on double underscores, camel-cases keys and parses JSON values', () => {
    expect(
      configFromEnv({
        IMAGEWARDEN_RUNNER__PRUNE__HIGH_WATERMARK: '90',
        IMAGEWARDEN_POLICY__APPROVED_REGISTRIES: '["a","b"]',
        IMAGEWARDEN_LOG__LEVEL: 'debug',
        IMAGEWARDEN_ACK_KEY: 'a secret referenced as env:IMAGEWARDEN_ACK_KEY is not config',
        OTHER: 'x',
      }),
    ).toEqual({
      runner: { prune: { highWatermark: 90 } },
      policy: { approvedRegistries: ['a', 'b'] },
      log: { level: 'debug' },
    });
  });
});

describe('mergeLayers', () => {
  it('replaces arrays and merges objects', () => {
    expect(mergeLayers({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
  });
});
