// `imagewarden notify` with notify.selinuxFindings: the runners' SELinux findings from their
// Elasticsearch index are mailed to the security contact with the rest.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runImagewarden } from '../../../support/cli.ts';
import { type ElasticsearchFake, startElasticsearchFake } from '../../../support/elasticsearch-fake.ts';
import { arrayDocuments } from '../../../support/fleet-generator.ts';

let dir: string;
let fake: ElasticsearchFake;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iw-notify-selinux-'));
  const now = new Date().toISOString();
  fake = await startElasticsearchFake({
    index: 'imagewarden-selinux',
    documents: arrayDocuments([
      {
        kind: 'selinux',
        key: 'selinux|cluster|level-collision|bank,shop',
        check: 'level-collision',
        severity: 'Critical',
        namespace: 'shop',
        subject: 'bank',
        detail: "namespaces shop and bank share s0:c593,c693: their tenants can read each other's files",
        lastSeen: now,
        '@timestamp': now,
      },
    ]),
  });
});
afterEach(async () => {
  const problems = [...fake.problems];
  try {
    await fake.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  expect(problems).toEqual([]);
});

describe('imagewarden notify with SELinux findings from Elasticsearch', () => {
  it('mails the security contact about a level collision a runner reported', async () => {
    // Prepare
    const env = {
      IMAGEWARDEN_STATE__DIR: join(dir, 'state'),
      IMAGEWARDEN_NOTIFY__OUTBOX_DIR: join(dir, 'outbox'),
      IMAGEWARDEN_INVENTORY__ELASTICSEARCH__NODE: fake.url,
      IMAGEWARDEN_NOTIFY__SELINUX_FINDINGS__INDEX: 'imagewarden-selinux',
    };

    // Act
    const run = await runImagewarden(['notify'], { env });

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('selinux findings: 1 read, 1 open, 0 resolved');
    const files = await readdir(join(dir, 'outbox'));
    expect(files).toHaveLength(1);
    const eml = await readFile(join(dir, 'outbox', files[0] as string), 'utf8');
    expect(eml).toContain('To: security@example.org');
    expect(eml).toMatch(/level-collision/);
    expect(fake.problems).toEqual([]);
  });

  it('still sends the other findings when the index cannot be read, and exits 1', async () => {
    const env = {
      IMAGEWARDEN_STATE__DIR: join(dir, 'state'),
      IMAGEWARDEN_NOTIFY__OUTBOX_DIR: join(dir, 'outbox'),
      IMAGEWARDEN_INVENTORY__ELASTICSEARCH__NODE: fake.url,
      IMAGEWARDEN_INVENTORY__ELASTICSEARCH__REQUEST_TIMEOUT: '200ms',
      IMAGEWARDEN_NOTIFY__SELINUX_FINDINGS__INDEX: 'imagewarden-selinux',
    };
    fake.inject({ kind: 'status', status: 503 }, 10);

    const run = await runImagewarden(['notify'], { env });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/selinux findings not read: .*503/);
    expect(run.stdout).toMatch(/^notify: /m);
  });
});
