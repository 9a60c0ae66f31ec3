// Resolving secret references (`env:NAME`, `file:/path`, Secrets Manager ARN[#jsonKey]) at
// the moment a credential is needed. Values are never logged; errors name the reference only.
// Every value resolved here is registered with the logger, which redacts it by value wherever
// it shows up later (an upstream error quoting it, a URL built with it).
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.ts';
import { redactUrl } from '../logger.ts';
import { registerSecret } from '../redact.ts';

export interface SecretSources {
  env?: NodeJS.ProcessEnv;
  readFile?: (path: string) => Promise<string>;
  /** Returns the SecretString of an ARN; wired to @aws-sdk/client-secrets-manager in AWS. */
  secretsManager?: (arn: string) => Promise<string>;
}

export async function resolveSecret(ref: string, sources: SecretSources = {}): Promise<string> {
  const value = await resolveUnregistered(ref, sources);
  registerSecret(value);
  return value;
}

async function resolveUnregistered(ref: string, sources: SecretSources): Promise<string> {
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    const value = (sources.env ?? process.env)[name];
    if (value === undefined || value === '')
      throw new ConfigError(`secret ${ref}: environment variable ${name} is not set`);
    return value;
  }
  if (ref.startsWith('file:')) {
    const path = ref.slice(5);
    try {
      return (await (sources.readFile ?? ((p: string) => readFile(p, 'utf8')))(path)).replace(/\r?\n$/, '');
    } catch (error) {
      throw new ConfigError(`secret ${ref}: cannot read the file`, [], { cause: error });
    }
  }
  if (ref.startsWith('arn:')) {
    const [arn, jsonKey] = ref.split('#', 2) as [string, string | undefined];
    if (!sources.secretsManager) throw new ConfigError(`secret ${ref}: no Secrets Manager client configured`);
    let text: string;
    try {
      text = await sources.secretsManager(arn);
    } catch (error) {
      throw new ConfigError(`secret ${arn}: Secrets Manager lookup failed`, [], { cause: error });
    }
    // the whole secret, even when one key of it is used: its other keys are secrets too
    registerSecret(text);
    if (jsonKey === undefined) return text;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // no cause: JSON.parse's message quotes the text, i.e. the secret
      throw new ConfigError(`secret ${ref}: the secret is not a JSON object (its value is not shown)`);
    }
    const value = (parsed as Record<string, unknown> | null)?.[jsonKey];
    if (typeof value !== 'string')
      throw new ConfigError(`secret ${ref}: key ${jsonKey} missing or not a string`);
    return value;
  }
  throw new ConfigError(
    'not a secret reference (expected env:NAME, file:/path or a Secrets Manager ARN; the value is not shown)',
  );
}

/** Config with every SecretRef-shaped string replaced by a mask, for `config check` output. */
export function maskSecrets(value: unknown, keyName = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, keyName));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)]));
  }
  if (typeof value === 'string' && /(password|apikey|psk|hmackey|secret|token)/i.test(keyName)) {
    return `${value.split(':')[0]}:***`;
  }
  // e.g. an Elasticsearch node given as https://user:password@host
  if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]+@/i.test(value)) return redactUrl(value);
  return value;
}
