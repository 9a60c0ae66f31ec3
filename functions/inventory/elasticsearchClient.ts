// Building the @elastic/elasticsearch 8.x client from config. Supported servers: Elasticsearch
// 8.x (the client's own major). 9.x servers accept the 8.x client's `compatible-with=8` headers
// (REST API compatibility) but that is untested here; 7.x servers are not supported, because
// they reject the 8.x client's compatibility media type. Retries are left to
// ElasticsearchSource (the transport's own retries have no backoff and skip 429).
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import { ConfigError } from '../../core/errors.ts';

export interface ElasticsearchSettings {
  node?: string;
  cloudId?: string;
  /** Resolved secrets, never references. */
  apiKey?: string;
  username?: string;
  password?: string;
  requestTimeoutMs: number;
}

export function elasticsearchClientOptions(settings: ElasticsearchSettings): ClientOptions {
  if (!settings.node && !settings.cloudId) {
    throw new ConfigError('inventory.elasticsearch: set either node (a URL) or cloudId');
  }
  let auth: ClientOptions['auth'];
  if (settings.apiKey) auth = { apiKey: settings.apiKey };
  else if (settings.username !== undefined) {
    if (settings.password === undefined)
      throw new ConfigError('inventory.elasticsearch.password: required with username');
    auth = { username: settings.username, password: settings.password };
  }
  return {
    ...(settings.cloudId ? { cloud: { id: settings.cloudId } } : { node: settings.node as string }),
    ...(auth ? { auth } : {}),
    requestTimeout: settings.requestTimeoutMs,
    maxRetries: 0,
    sniffOnStart: false,
    compression: false,
  };
}

export function createElasticsearchClient(settings: ElasticsearchSettings): Client {
  return new Client(elasticsearchClientOptions(settings));
}
