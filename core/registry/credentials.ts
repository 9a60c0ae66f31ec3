// Registry credentials from a Docker config.json or a `kubernetes.io/dockerconfigjson` Secret's
// `.dockerconfigjson`: `auths.<registry>.auth` is base64 "user:password", or explicit
// username/password. Keys may be bare hosts or URLs (`https://index.docker.io/v1/`).
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import type { CredentialSource } from './CredentialSource.ts';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export const DockerConfigJson = z.object({
  auths: z
    .record(
      z.string(),
      z.object({
        auth: z.string().optional(),
        username: z.string().optional(),
        password: z.string().optional(),
        identitytoken: z.string().optional(),
      }),
    )
    .default({}),
});
export type DockerConfigJson = z.infer<typeof DockerConfigJson>;

/** The registry host a config.json key stands for (`https://index.docker.io/v1/` -> `docker.io`). */
export function normaliseRegistryKey(key: string): string {
  let host = key.trim();
  host = host.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  host = host.toLowerCase();
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'registry.hub.docker.com') {
    return 'docker.io';
  }
  return host;
}

/** Static credentials by host: a CredentialSource that never asks anyone. */
export class CredentialStore implements CredentialSource {
  readonly #byHost: ReadonlyMap<string, RegistryCredentials>;

  constructor(entries: Iterable<readonly [string, RegistryCredentials]> = []) {
    this.#byHost = new Map([...entries].map(([host, creds]) => [normaliseRegistryKey(host), creds]));
  }

  static empty(): CredentialStore {
    return new CredentialStore();
  }

  /** Parses config.json text; `source` names it in errors. Broken JSON or shape -> ValidationError. */
  static fromDockerConfig(json: string, source = 'docker config'): CredentialStore {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      // no cause: JSON.parse's message quotes part of the text, i.e. of the credentials
      throw new ValidationError(source, 'is not valid JSON');
    }
    const parsed = DockerConfigJson.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new ValidationError(source, `${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`, {
        cause: parsed.error,
      });
    }
    const entries: Array<[string, RegistryCredentials]> = [];
    for (const [key, entry] of Object.entries(parsed.data.auths)) {
      if (entry.auth !== undefined && entry.auth !== '') {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon <= 0) {
          throw new ValidationError(source, `auths.${key}.auth is not base64 of "user:password"`);
        }
        entries.push([key, { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }]);
      } else if (entry.username !== undefined && entry.password !== undefined) {
        entries.push([key, { username: entry.username, password: entry.password }]);
      }
    }
    return new CredentialStore(entries);
  }

  static async fromDockerConfigFile(path: string): Promise<CredentialStore> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ValidationError(path, 'cannot read docker config', { cause: error });
    }
    return CredentialStore.fromDockerConfig(text, path);
  }

  /** Later stores win for the same host. */
  static merge(...stores: CredentialStore[]): CredentialStore {
    return new CredentialStore(stores.flatMap((s) => [...s.#byHost]));
  }

  get(registryHost: string): RegistryCredentials | undefined {
    return this.#byHost.get(normaliseRegistryKey(registryHost));
  }

  lookup(registryHost: string): Promise<RegistryCredentials | undefined> {
    return Promise.resolve(this.get(registryHost));
  }

  get hosts(): string[] {
    return [...this.#byHost.keys()];
  }
}
