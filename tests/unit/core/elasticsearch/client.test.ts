import { HttpConnection } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { elasticsearchClientOptions } from '../../../../core/elasticsearch/client.ts';
import { ConfigError } from '../../../../core/errors.ts';

describe('elasticsearchClientOptions', () => {
  it('uses an API key, sets the request timeout and leaves retries to the source', () => {
    // Act
    const options = elasticsearchClientOptions({
      node: 'https://es.example.org:9200',
      apiKey: 'k',
      requestTimeoutMs: 15_000,
    });
    // Assess
    expect(options).toMatchObject({
      node: 'https://es.example.org:9200',
      auth: { apiKey: 'k' },
      requestTimeout: 15_000,
      maxRetries: 0,
    });
    // Node's http, not undici's WebAssembly parser: less memory for the inventory Lambda.
    expect(options.Connection).toBe(HttpConnection);
  });

  it('supports basic auth and Elastic Cloud ids', () => {
    // Act
    const options = elasticsearchClientOptions({
      cloudId: 'fleet:abc',
      username: 'u',
      password: 'p',
      requestTimeoutMs: 1000,
    });
    // Assess
    expect(options).toMatchObject({ cloud: { id: 'fleet:abc' }, auth: { username: 'u', password: 'p' } });
  });

  it('names the missing setting', () => {
    // Act / Assess
    expect(() => elasticsearchClientOptions({ requestTimeoutMs: 1000 })).toThrow(ConfigError);
    expect(() =>
      elasticsearchClientOptions({ node: 'http://es:9200', username: 'u', requestTimeoutMs: 1000 }),
    ).toThrow(/inventory\.elasticsearch\.password/);
  });
});
