// Loading the config. Precedence, lowest first:
//   1. defaults in the schema;
//   2. the config file (--config FILE, else $IMAGEWARDEN_CONFIG, else none), or instead the
//      same keys as inline JSON in $IMAGEWARDEN_CONFIG_JSON (what Terraform sets on the Lambda
//      functions, whose zips are built once per release and carry no config file);
//   3. environment variables IMAGEWARDEN_<SECTION>__<KEY>[__<KEY>...] (names without "__" are not
//      config, so they stay free for secrets; values parsed as JSON
//      when they parse, else taken as strings), e.g. IMAGEWARDEN_SCAN__CLAIR__URL;
//   4. explicit overrides from the command line.
// Each step is its own function so each can be tested alone. This module reads JSON only; the
// YAML parser (100 KB of the Lambda bundles, which get their config as JSON) is added by
// load.ts, which the CLI uses.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { Config, type ConfigInput } from './schema.ts';

export const ENV_PREFIX = 'IMAGEWARDEN_';

export type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Deep merge where later layers win; arrays are replaced, not concatenated. */
export function mergeLayers(...layers: PlainObject[]): PlainObject {
  const out: PlainObject = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      const existing = out[key];
      out[key] = isPlainObject(existing) && isPlainObject(value) ? mergeLayers(existing, value) : value;
    }
  }
  return out;
}

/** Turns a config file's text into a value; throws a ConfigError naming the file when it cannot. */
export type ConfigFileParser = (text: string, path: string) => unknown;

/** Parses JSON config files; any other file is refused, naming what reads it instead. */
export const parseJsonConfigFile: ConfigFileParser = (text, path) => {
  if (!path.endsWith('.json')) {
    throw new ConfigError(
      `config file ${path}: only JSON config files (*.json) are read here; YAML is read by the ` +
        `imagewarden CLI, and the Lambda functions take their config as JSON in ${ENV_PREFIX}CONFIG_JSON`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON`, [firstLine(error)], { cause: error });
  }
};

export const firstLine = (error: unknown): string => (error as Error).message.split('\n')[0] ?? '';

/** Reads a config file into a plain object. */
export function readConfigFile(
  path: string,
  read: (p: string) => string = (p) => readFileSync(p, 'utf8'),
  parse: ConfigFileParser = parseJsonConfigFile,
): PlainObject {
  let text: string;
  try {
    text = read(path);
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`, [], {
      cause: error,
    });
  }
  const parsed = parse(text, path);
  if (parsed === null || parsed === undefined) return {};
  if (!isPlainObject(parsed))
    throw new ConfigError(`config file ${path} must hold a mapping at the top level`);
  return parsed;
}

/** The config file's keys given as JSON text in $IMAGEWARDEN_CONFIG_JSON. */
export function readInlineConfig(text: string): PlainObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${ENV_PREFIX}CONFIG_JSON is not valid JSON`, [(error as Error).message], {
      cause: error,
    });
  }
  if (!isPlainObject(parsed)) throw new ConfigError(`${ENV_PREFIX}CONFIG_JSON must hold a JSON object`);
  return parsed;
}

const camel = (part: string): string =>
  part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Turns IMAGEWARDEN_* variables into a nested object (keys in camelCase). */
export function configFromEnv(env: NodeJS.ProcessEnv): PlainObject {
  const out: PlainObject = {};
  for (const [name, raw] of Object.entries(env)) {
    // Only IMAGEWARDEN_<SECTION>__<KEY> names are config; IMAGEWARDEN_SOMETHING without "__" is left
    // alone so secrets referenced as env:IMAGEWARDEN_... do not turn into unknown config keys.
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || !name.includes('__')) continue;
    const path = name.slice(ENV_PREFIX.length).split('__').map(camel);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    let node = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else {
        if (!isPlainObject(node[part])) node[part] = {};
        node = node[part] as PlainObject;
      }
    });
  }
  return out;
}

/** Keys of secret fields (secret references): what is given there is never shown back. */
const SECRET_KEY = /(password|apikey|psk|hmackey|secret|token)$/i;

/** Formats zod issues as `path.to.key: message` lines. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(top level)';
    const last = issue.path.at(-1);
    if (typeof last === 'string' && SECRET_KEY.test(last)) {
      // an inline secret, or a number or object where a reference belongs: none of it is echoed
      return `${path}: expected a secret reference (env:NAME, file:/absolute/path or a Secrets Manager ARN); the value given is not shown`;
    }
    let message = issue.message;
    if (issue.code === 'unrecognized_keys')
      message = `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    else if (issue.code === 'invalid_type' && 'input' in issue && !/got /.test(message)) {
      message = `${message}, got ${JSON.stringify(issue.input) ?? 'nothing'}`;
    } else if (issue.code === 'invalid_value' && 'input' in issue) {
      message = `${message}, got ${JSON.stringify(issue.input)}`;
    }
    return `${path}: ${message}`;
  });
}

/** Validates a merged raw object against the schema, naming every bad key. */
export function parseConfig(raw: unknown, origin = 'config'): Config {
  const result = Config.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(`invalid ${origin}`, formatIssues(result.error));
  return result.data;
}

export interface LoadConfigOptions {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  overrides?: ConfigInput | PlainObject;
  read?: (path: string) => string;
  /** How the config file is parsed (JSON only unless given; load.ts adds YAML). */
  parseFile?: ConfigFileParser;
}

export interface LoadedConfig {
  config: Config;
  /** The file actually read, if any. */
  file: string | undefined;
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env[`${ENV_PREFIX}CONFIG`];
  const inline = file ? undefined : env[`${ENV_PREFIX}CONFIG_JSON`];
  const fromFile = file
    ? readConfigFile(file, options.read, options.parseFile)
    : inline
      ? readInlineConfig(inline)
      : {};
  const merged = mergeLayers(fromFile, configFromEnv(env), (options.overrides ?? {}) as PlainObject);
  return {
    config: parseConfig(merged, file ? `config (${file} + environment)` : 'config (environment)'),
    file,
  };
}
