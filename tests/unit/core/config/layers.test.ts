// The JSON-only loader the Lambda handlers use (load.ts adds YAML for the CLI): JSON files and
// inline JSON load as before; a YAML file is a config error saying what to use instead.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../core/config/layers.ts';
import { ConfigError } from '../../../../core/errors.ts';

const files = (map: Record<string, string>) => (path: string) => {
  const text = map[path];
  if (text === undefined) throw new Error(`ENOENT: ${path}`);
  return text;
};

describe('layers loadConfig (JSON only)', () => {
  it('reads a JSON config file and the inline JSON', () => {
    // Act
    const fromFile = loadConfig({
      file: '/c.json',
      read: files({ '/c.json': '{"log":{"level":"debug"}}' }),
      env: {},
    });
    const inline = loadConfig({ env: { IMAGEWARDEN_CONFIG_JSON: '{"log":{"level":"warn"}}' } });

    // Assess
    expect(fromFile.config.log.level).toBe('debug');
    expect(inline.config.log.level).toBe('warn');
  });

  it('refuses a YAML file with a ConfigError naming it and the JSON alternatives', () => {
    // Act
    const attempt = () =>
      loadConfig({
        env: { IMAGEWARDEN_CONFIG: '/c.yaml' },
        read: files({ '/c.yaml': 'log:\n  level: debug\n' }),
      });

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'config file /c.yaml: only JSON config files (*.json) are read here; YAML is read by the imagewarden CLI, ' +
        'and the Lambda functions take their config as JSON in IMAGEWARDEN_CONFIG_JSON',
    );
  });

  it('names a JSON file that does not parse', () => {
    // Act
    const attempt = () => loadConfig({ file: '/c.json', read: files({ '/c.json': '{"log":' }), env: {} });

    // Assess
    expect(attempt).toThrow(/^config file \/c\.json is not valid JSON/);
  });
});
