// Building the @elastic/elasticsearch 8.x client from config. Supported servers: Elasticsearch
// 8.x (the client's own major). 9.x servers accept the 8.x client's `compatible-with=8` headers
// (REST API compatibility) but that is untested here; 7.x servers are not supported, because
// they reject the 8.x client's compatibility media type. Retries are left to
// ElasticsearchSource (the transport's own retries have no backoff and skip 429).
// Connections go through Node's own http/https (the transport's HttpConnection) rather than
// the default undici connection: undici parses HTTP with a WebAssembly build of llhttp that is
// compiled on the first request, and `npm run bench -- inventory` measured that at about 15 MB
// more peak RSS for the inventory step (memory a Lambda is billed for), with no gain for a
// handful of sequential searches.
import { Client, type ClientOptions, HttpConnection } from '@elastic/elasticsearch';
import { ConfigError } from '../errors.ts';

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
    Connection: HttpConnection,
  };
}

export function createElasticsearchClient(settings: ElasticsearchSettings): Client {
  return new Client(elasticsearchClientOptions(settings));
}
