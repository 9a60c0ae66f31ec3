// Builds the scan step's ports and options from the config, for the CLI and the Lambda
// handlers: the Clair adapter (PSK resolved from its secret reference) or the reports
// directory, the registry client
// as the ManifestSource, and the driver's options.

import type { Clock } from '../../core/clock.ts';
import type { Config } from '../../core/config/schema.ts';
import { resolveSecret, type SecretSources } from '../../core/config/secrets.ts';
import { ConfigError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { registryClientFromConfig } from '../../core/registry/fromConfig.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { ClairScanner } from './ClairScanner.ts';
import { ReportsDirScanner } from './ReportsDirScanner.ts';
import type { Scanner } from './Scanner.ts';
import type { ScanPorts } from './scanDigest.ts';
import type { ScanInventoryOptions } from './scanInventory.ts';

/** Clair's PSK is configured base64-encoded; the HMAC key is the decoded bytes. */
export async function clairPsk(config: Config, secrets: SecretSources): Promise<Uint8Array | undefined> {
  const ref = config.scan.clair?.psk;
  if (!ref) return undefined;
  const text = (await resolveSecret(ref, secrets)).trim();
  const key = Buffer.from(text, 'base64');
  if (key.length === 0 || !/^[A-Za-z0-9+/=_-]+$/.test(text))
    throw new ConfigError("scan.clair.psk: expected the base64 key from Clair's config (auth.psk.key)");
  return key;
}

export function requireClair(config: Config): NonNullable<Config['scan']['clair']> {
  if (!config.scan.clair)
    throw new ConfigError('scan.clair.url is not set: the scan step needs a Clair v4 URL');
  return config.scan.clair;
}

export async function clairScannerFromConfig(
  config: Config,
  deps: { secrets: SecretSources; logger: Logger; clock?: Clock },
): Promise<ClairScanner> {
  const clair = requireClair(config);
  const psk = await clairPsk(config, deps.secrets);
  return new ClairScanner({
    url: clair.url,
    ...(psk ? { psk } : {}),
    issuer: clair.issuer,
    requestTimeoutMs: clair.requestTimeout,
    indexTimeoutMs: clair.indexTimeout,
    attempts: clair.retries + 1,
    logger: deps.logger,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
}

/** The cycle's scanner: Clair, or the reports directory; undefined when neither is configured. */
export async function scannerFromConfig(
  config: Config,
  deps: { secrets: SecretSources; logger: Logger; clock?: Clock },
): Promise<Scanner> {
  if (config.scan.reports)
    return new ReportsDirScanner({ dir: config.scan.reports.dir, logger: deps.logger });
  return clairScannerFromConfig(config, deps);
}

/** Why the scan step cannot run with this config, or undefined when it can. */
export function scanSkipReason(config: Config): string | undefined {
  if (config.scan.clair || config.scan.reports) return undefined;
  return 'neither scan.clair.url nor scan.reports.dir is set (no Clair v4 to ask, no reports to read)';
}

export async function scanPortsFromConfig(
  config: Config,
  deps: { secrets: SecretSources; logger: Logger; store: StateStore; clock: Clock },
): Promise<ScanPorts> {
  const registry = await registryClientFromConfig(config, deps.logger);
  return {
    scanner: await scannerFromConfig(config, deps),
    manifests: registry,
    store: deps.store,
    clock: deps.clock,
    logger: deps.logger,
  };
}

export function scanOptionsFromConfig(config: Config): ScanInventoryOptions {
  return {
    concurrency: config.scan.concurrency,
    throttleRetries: config.scan.throttleRetries,
    notReadyRetries: config.scan.notReadyRetries,
    notReadyDelayMs: config.scan.notReadyDelay,
  };
}
