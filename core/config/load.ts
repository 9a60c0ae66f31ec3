// The config loader of the CLI and the node runner: layers.ts with YAML config files besides
// JSON ones. The Lambda handlers use layers.ts directly (JSON only), so the YAML parser stays
// out of their bundles.
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.ts';
import {
  type ConfigFileParser,
  firstLine,
  type LoadConfigOptions,
  type LoadedConfig,
  loadConfig as loadConfigLayers,
  type PlainObject,
  parseJsonConfigFile,
  readConfigFile as readConfigFileAs,
} from './layers.ts';

export * from './layers.ts';

/** Parses a YAML config file, or a JSON one (*.json). */
export const parseYamlOrJsonConfigFile: ConfigFileParser = (text, path) => {
  if (path.endsWith('.json')) return parseJsonConfigFile(text, path);
  try {
    return parseYaml(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid YAML`, [firstLine(error)], { cause: error });
  }
};

/** Reads a YAML or JSON config file into a plain object. */
export function readConfigFile(path: string, read?: (p: string) => string): PlainObject {
  return readConfigFileAs(path, read, parseYamlOrJsonConfigFile);
}

/** Loads the config, reading a YAML or JSON config file. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  return loadConfigLayers({ parseFile: parseYamlOrJsonConfigFile, ...options });
}
