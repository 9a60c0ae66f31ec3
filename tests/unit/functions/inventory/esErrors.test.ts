// How ElasticsearchSource reports servers that refuse, are not Elasticsearch, or lack the index.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { createElasticsearchClient } from '../../../../core/elasticsearch/client.ts';
import { AuthError, NotFoundError, UpstreamError } from '../../../../core/errors.ts';
import { ElasticsearchSource } from '../../../../functions/inventory/ElasticsearchSource.ts';
import { ECS_FIELDS } from '../../../../functions/inventory/InventorySource.ts';
import { startElasticsearchFake } from '../../../support/elasticsearch-fake.ts';
import { arrayDocuments } from '../../../support/fleet-generator.ts';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(status: number, headers: Record<string, string>, body: unknown): Promise<string> {
  server = createServer((_req, res) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body)),
  );
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

async function drain(url: string, index = 'metricbeat-*'): Promise<void> {
  const source = new ElasticsearchSource({
    client: createElasticsearchClient({ node: url, requestTimeoutMs: 2000 }),
    host: new URL(url).host,
    index,
    fields: ECS_FIELDS,
    pageSize: 10,
    maxRetries: 1,
    clock: new ManualClock('2026-11-24T12:00:00Z'),
    sleep: async () => {},
  });
  for await (const _page of source.pages({ lookbackMs: 3_600_000, labelKeys: [] })) {
    // drain
  }
}

describe('ElasticsearchSource errors', () => {
  it('reports 401 as AuthError with what Elasticsearch said', async () => {
    // Prepare
    const url = await serve(
      401,
      { 'x-elastic-product': 'Elasticsearch' },
      {
        error: { type: 'security_exception', reason: 'unable to authenticate with provided credentials' },
        status: 401,
      },
    );
    // Act
    const run = drain(url);
    // Assess
    await expect(run).rejects.toBeInstanceOf(AuthError);
    await expect(run).rejects.toThrow(/security_exception: unable to authenticate/);
  });

  it('refuses a server that is not Elasticsearch (no product header)', async () => {
    // Prepare
    const url = await serve(200, {}, { hits: { hits: [] } });
    // Act
    const run = drain(url);
    // Assess
    await expect(run).rejects.toBeInstanceOf(UpstreamError);
    await expect(run).rejects.toThrow(/not Elasticsearch/);
  });

  it('reports a missing concrete index as NotFoundError', async () => {
    // Prepare
    const fake = await startElasticsearchFake({ documents: arrayDocuments([]) });
    try {
      // Act
      const run = drain(fake.url, 'containers-2026');
      // Assess
      await expect(run).rejects.toBeInstanceOf(NotFoundError);
      await expect(run).rejects.toThrow(/index_not_found_exception: no such index \[containers-2026\]/);
      expect(fake.problems).toEqual([]);
    } finally {
      await fake.stop();
    }
  });

  it('reports a 400 (e.g. a text field in the mapping) pointing at the field settings', async () => {
    // Prepare
    const url = await serve(
      400,
      { 'x-elastic-product': 'Elasticsearch' },
      {
        error: {
          type: 'illegal_argument_exception',
          reason: 'Fielddata is disabled on [container.image.name]',
        },
        status: 400,
      },
    );
    // Act
    const run = drain(url);
    // Assess
    await expect(run).rejects.toThrow(/Fielddata is disabled.*check inventory\.elasticsearch\.fields/);
  });
});
