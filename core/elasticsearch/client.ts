// The one Elasticsearch connection setup: the inventory source, the notify step's SELinux
// findings import and the node runner's finding sink all build their @elastic/elasticsearch
// 8.x client here, from a config section (node or cloud id, API key or basic auth, timeout).
// Supported servers: Elasticsearch
// 8.x (the client's own major). 9.x servers accept the 8.x client's `compatible-with=8` headers
// (REST API compatibility) but that is untested here; 7.x servers are not supported, because
// they reject the 8.x client's compatibility media type. Retries are left to the callers, with
// core/retryable.ts (the transport's own retries have no backoff and skip 429).
// Connections go through Node's own http/https (the transport's HttpConnection) rather than
// the default undici connection: undici parses HTTP with a WebAssembly build of llhttp that is
// compiled on the first request, and `npm run bench -- inventory` measured that at about 15 MB
// more peak RSS for the inventory step (memory a Lambda is billed for), with no gain for a
// handful of sequential searches.
import { Client, type ClientOptions, HttpConnection } from '@elastic/elasticsearch';
import { resolveSecret, type SecretSources } from '../config/secrets.ts';
import { ConfigError } from '../errors.ts';

export interface ElasticsearchSettings {
  node?: string;
  cloudId?: string;
  /** Resolved secrets, never references. */
  apiKey?: string;
  username?: string;
  password?: string;
  requestTimeoutMs: number;
  /** The config section, for messages (default `inventory.elasticsearch`). */
  section?: string;
}

export function elasticsearchClientOptions(settings: ElasticsearchSettings): ClientOptions {
  const section = settings.section ?? 'inventory.elasticsearch';
  if (!settings.node && !settings.cloudId) {
    throw new ConfigError(`${section}: set either node (a URL) or cloudId`);
  }
  let auth: ClientOptions['auth'];
  if (settings.apiKey) auth = { apiKey: settings.apiKey };
  else if (settings.username !== undefined) {
    if (settings.password === undefined) throw new ConfigError(`${section}.password: required with username`);
    auth = { username: settings.username, password: settings.password };
  }
  return {
    ...(settings.cloudId ? { cloud: { id: settings.cloudId } } : { node: settings.node as string }),
    ...(auth ? { auth } : {}),
    requestTimeout: settings.requestTimeoutMs,
    maxRetries: 0,
    sniffOnStart: false,
    compression: false,
    // the Lambda bundles leave npm undici out on the strength of this (scripts/lambda-lean.mjs)
    Connection: HttpConnection,
  };
}

export function createElasticsearchClient(settings: ElasticsearchSettings): Client {
  return new Client(elasticsearchClientOptions(settings));
}

/** A connection as the config sections describe it: secrets still as references. */
export interface ElasticsearchConnectionConfig {
  node?: string | undefined;
  cloudId?: string | undefined;
  apiKey?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** ms; 30 s when the section has no setting. */
  requestTimeout?: number | undefined;
}

/** The client for a config section, secrets resolved; `host` names it in errors and logs. */
export async function elasticsearchFromConfig(
  section: string,
  connection: ElasticsearchConnectionConfig,
  secrets: SecretSources,
): Promise<{ client: Client; host: string }> {
  const client = createElasticsearchClient({
    section,
    ...(connection.node ? { node: connection.node } : {}),
    ...(connection.cloudId ? { cloudId: connection.cloudId } : {}),
    ...(connection.apiKey ? { apiKey: await resolveSecret(connection.apiKey, secrets) } : {}),
    ...(connection.username ? { username: connection.username } : {}),
    ...(connection.password ? { password: await resolveSecret(connection.password, secrets) } : {}),
    requestTimeoutMs: connection.requestTimeout ?? 30_000,
  });
  const host = connection.node
    ? new URL(connection.node).host
    : `cloud:${(connection.cloudId ?? '').split(':')[0]}`;
  return { client, host };
}
