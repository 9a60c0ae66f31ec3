// Where registry credentials come from, as a port: a static Docker config (CredentialStore),
// Amazon ECR's GetAuthorizationToken (EcrCredentialSource), or several in order. Lookups are
// async because some sources ask a service (and cache its answer); each registry request
// asks again, so a source decides itself how long an answer is good for.
import type { RegistryCredentials } from './credentials.ts';

export interface CredentialSource {
  /**
   * Credentials for a registry host (`host[:port]`, normalised like Docker config keys), or
   * undefined when this source has none for it. A source that should have them but cannot
   * get them throws (AuthError naming the host when it was refused).
   */
  lookup(host: string): Promise<RegistryCredentials | undefined>;
}

/** The first source with credentials for a host wins; later ones are not asked. */
export function chainCredentialSources(...sources: readonly CredentialSource[]): CredentialSource {
  return {
    async lookup(host) {
      for (const source of sources) {
        const found = await source.lookup(host);
        if (found !== undefined) return found;
      }
      return undefined;
    },
  };
}
