// Building the inventory step's ports and options from the config, shared by the CLI, `run`
// and the Lambda handler. Secrets are resolved here, at the moment they are needed.

import type { Clock } from '../../core/clock.ts';
import type { Config } from '../../core/config/schema.ts';
import { resolveSecret, type SecretSources } from '../../core/config/secrets.ts';
import { elasticsearchFromConfig } from '../../core/elasticsearch/client.ts';
import { ConfigError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { registryClientFromConfig } from '../../core/registry/fromConfig.ts';
import type { HostOwnerDirectory } from '../owners/HostOwnerDirectory.ts';
import { NivlheimHostOwners } from '../owners/NivlheimHostOwners.ts';
import { StaticHostOwners } from '../owners/StaticHostOwners.ts';
import type { InventoryOptions, InventoryPorts } from './buildInventory.ts';
import { ElasticsearchSource } from './ElasticsearchSource.ts';
import { FileImageMetadata } from './FileImageMetadata.ts';
import { type ImageMetadata, offlineImageMetadata, RegistryImageMetadata } from './ImageMetadata.ts';
import { ECS_FIELDS, type InventorySource } from './InventorySource.ts';
import { NdjsonFileSource } from './NdjsonFileSource.ts';

export type SourceChoice = { kind: 'elasticsearch' } | { kind: 'file'; path: string };

/** `es` | `elasticsearch` | `file:PATH` (the CLI's --source), else the config's choice. */
export function parseSourceChoice(flag: string | undefined, config: Config): SourceChoice {
  if (flag === undefined) {
    return config.inventory.source === 'elasticsearch'
      ? { kind: 'elasticsearch' }
      : { kind: 'file', path: config.inventory.file };
  }
  if (flag === 'es' || flag === 'elasticsearch') return { kind: 'elasticsearch' };
  if (flag.startsWith('file:') && flag.length > 5) return { kind: 'file', path: flag.slice(5) };
  throw new ConfigError(`--source: expected es or file:PATH, got ${JSON.stringify(flag)}`);
}

export async function inventorySourceFromConfig(
  config: Config,
  choice: SourceChoice,
  deps: { clock: Clock; logger: Logger; secrets: SecretSources },
): Promise<InventorySource> {
  const fields = config.inventory.elasticsearch?.fields ?? ECS_FIELDS;
  if (choice.kind === 'file') return new NdjsonFileSource({ path: choice.path, fields, clock: deps.clock });
  const es = config.inventory.elasticsearch;
  if (!es) throw new ConfigError('inventory.elasticsearch: required for the elasticsearch source');
  const { client, host } = await elasticsearchFromConfig('inventory.elasticsearch', es, deps.secrets);
  return new ElasticsearchSource({
    client,
    host,
    index: es.index,
    fields,
    pageSize: es.pageSize,
    maxRetries: es.maxRetries,
    clock: deps.clock,
    logger: deps.logger,
  });
}

export async function imageMetadataFromConfig(
  config: Config,
  logger: Logger,
  offline: boolean,
): Promise<ImageMetadata> {
  // a metadata file asks no registry, so it serves offline runs too
  if (config.inventory.imageMetadataFile) return FileImageMetadata.load(config.inventory.imageMetadataFile);
  if (offline) return offlineImageMetadata;
  return new RegistryImageMetadata(await registryClientFromConfig(config, logger));
}

export async function hostOwnersFromConfig(
  config: Config,
  secrets: SecretSources,
): Promise<HostOwnerDirectory[]> {
  const directories: HostOwnerDirectory[] = [];
  if (Object.keys(config.owners.hosts).length > 0)
    directories.push(new StaticHostOwners(config.owners.hosts));
  const nivlheim = config.owners.nivlheim;
  if (nivlheim) {
    directories.push(
      new NivlheimHostOwners({
        url: nivlheim.url,
        apiKey: await resolveSecret(nivlheim.apiKey, secrets),
        groups: nivlheim.groups,
        requestTimeoutMs: nivlheim.requestTimeout,
      }),
    );
  }
  return directories;
}

export interface InventorySetup {
  ports: InventoryPorts;
  options: InventoryOptions;
}

export async function inventoryFromConfig(
  config: Config,
  deps: {
    clock: Clock;
    logger: Logger;
    secrets: SecretSources;
    source?: SourceChoice;
    asOf?: Date;
    offline?: boolean;
    signal?: AbortSignal;
  },
): Promise<InventorySetup> {
  const choice = deps.source ?? parseSourceChoice(undefined, config);
  return {
    ports: {
      source: await inventorySourceFromConfig(config, choice, deps),
      metadata: await imageMetadataFromConfig(config, deps.logger, deps.offline === true),
      hostOwners: await hostOwnersFromConfig(config, deps.secrets),
      clock: deps.clock,
      logger: deps.logger,
    },
    options: {
      lookbackMs: config.inventory.lookback,
      ...(deps.asOf ? { asOf: deps.asOf } : {}),
      labelKeys: config.owners.labelKeys,
      securityContact: config.owners.securityContact,
      concurrency: config.registry.concurrency,
      ...(deps.signal ? { signal: deps.signal } : {}),
    },
  };
}
