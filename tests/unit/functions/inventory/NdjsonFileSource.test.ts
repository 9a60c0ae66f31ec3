import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { NotFoundError } from '../../../../core/errors.ts';
import { ECS_FIELDS, type SourcePage } from '../../../../functions/inventory/InventorySource.ts';
import { NdjsonFileSource } from '../../../../functions/inventory/NdjsonFileSource.ts';

const HOUR = 3_600_000;
const clock = new ManualClock('2026-12-01T00:00:00Z');

async function collect(pages: AsyncIterable<SourcePage>): Promise<SourcePage[]> {
  const out: SourcePage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('NdjsonFileSource', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iw-ndjson-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ends the window at the newest plausible document of a static export, so re-reading gives the same result', async () => {
    // Prepare
    const source = new NdjsonFileSource({ path: 'examples/fleet.ndjson', fields: ECS_FIELDS, clock });
    // Act
    const window = await source.window({ lookbackMs: 2 * HOUR, labelKeys: [] });
    const pages = await collect(source.pages({ lookbackMs: 2 * HOUR, labelKeys: ['owner'] }));
    // Assess
    expect(window).toEqual({
      from: new Date('2026-11-24T07:14:38.000Z'),
      to: new Date('2026-11-24T09:14:38.000Z'),
    });
    const images = pages.flatMap((p) => p.buckets).map((b) => b.image);
    expect(images).toContain('docker.io/library/nginx:1.27');
    expect(images).not.toContain('harbor.example.org/usit/retired-app:1.0');
    expect(source.skipped()).toEqual({ count: 0, sample: [] });
  });

  it('counts bad documents with their line numbers and keeps going', async () => {
    // Prepare
    const t = '2026-11-24T09:00:00Z';
    const path = join(dir, 'bad.ndjson');
    const good = { '@timestamp': t, host: { name: 'h1' }, container: { id: 'c1', image: { name: 'app:1' } } };
    await writeFile(
      path,
      [
        JSON.stringify(good),
        '{"@timestamp": "2026-11-24T09:00:00Z", "host": {"name": "h1"}, broken',
        JSON.stringify({ ...good, container: { id: 'c2', image: { name: ['a:1', 'b:1'] } } }),
        JSON.stringify({ ...good, host: { name: ['h1', 'h2'] } }),
        JSON.stringify({ ...good, '@timestamp': '3026-01-01T00:00:00Z' }),
        JSON.stringify({ ...good, '@timestamp': 'yesterday' }),
        JSON.stringify({ ...good, container: { id: 'c3', image: { name: 42 } } }),
        '',
        JSON.stringify({ ...good, container: { id: 'c4', image: { name: 'app:1' } } }),
      ].join('\n'),
    );
    const source = new NdjsonFileSource({ path, fields: ECS_FIELDS, clock });
    // Act
    const pages = await collect(source.pages({ lookbackMs: 2 * HOUR, labelKeys: [] }));
    // Assess
    expect(pages.flatMap((p) => p.buckets)).toMatchObject([
      { image: 'app:1', documents: 2, containers: 2, hostCount: 1 },
    ]);
    expect(source.skipped()).toEqual({
      count: 6,
      sample: [
        'line 2: not valid JSON',
        'line 3: container.image.name is an array',
        'line 4: host.name is an array',
        'line 5: @timestamp "3026-01-01T00:00:00Z" is implausible',
        'line 6: @timestamp is missing or not a time',
        'line 7: container.image.name is missing or not a string',
      ],
    });
  });

  it('honours --as-of and the configured field names', async () => {
    // Prepare
    const path = join(dir, 'custom.ndjson');
    const doc = (at: string, image: string) =>
      JSON.stringify({ ts: at, node: 'h1', cid: 'c', img: image, lbl: { owner: 'a@example.org' } });
    await writeFile(
      path,
      `${doc('2026-11-20T10:00:00Z', 'old:1')}\n${doc('2026-11-24T10:00:00Z', 'new:1')}\n`,
    );
    const fields = {
      ...ECS_FIELDS,
      timestamp: 'ts',
      host: 'node',
      containerId: 'cid',
      imageName: 'img',
      labels: 'lbl',
    };
    const source = new NdjsonFileSource({ path, fields, clock });
    // Act
    const pages = await collect(
      source.pages({ lookbackMs: HOUR, asOf: new Date('2026-11-20T10:30:00Z'), labelKeys: ['owner'] }),
    );
    // Assess
    expect(pages.flatMap((p) => p.buckets)).toMatchObject([
      { image: 'old:1', labels: [{ key: 'owner', values: ['a@example.org'] }] },
    ]);
  });

  it('names the file when it cannot be read', async () => {
    // Prepare
    const source = new NdjsonFileSource({ path: join(dir, 'missing.ndjson'), fields: ECS_FIELDS, clock });
    // Act
    const run = collect(source.pages({ lookbackMs: HOUR, asOf: new Date(), labelKeys: [] }));
    // Assess
    await expect(run).rejects.toBeInstanceOf(NotFoundError);
    await expect(run).rejects.toThrow(/missing\.ndjson/);
  });
});
