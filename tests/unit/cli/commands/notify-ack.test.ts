// `imagewarden notify --dry-run`, `notify` to the outbox directory, and `ack add|list|revoke`,
// run in-process against a file state store, as a user would.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../../../core/state/FileStateStore.ts';
import { runImagewarden } from '../../../support/cli.ts';
import { policy, storeFindings, vuln } from '../../functions/notify/fixtures.ts';

let dir: string;
let config: string;
const env = { TEST_ACK_HMAC_KEY: 'cli-test-key-0123456789-0123456789-0123' };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iw-cli-notify-'));
  config = join(dir, 'imagewarden.yaml');
  await writeFile(
    config,
    `state:\n  dir: ${dir}/state\nowners:\n  securityContact: sec@example.org\nnotify:\n  outboxDir: ${dir}/outbox\n  sendRate: 1000\n  ack:\n    hmacKey: env:TEST_ACK_HMAC_KEY\n    file: ${dir}/acks.yaml\n`,
  );
  await writeFile(join(dir, 'acks.yaml'), 'acks: []\n');
  await storeFindings(new FileStateStore(join(dir, 'state')), [
    vuln(),
    vuln({ owner: 'bob@example.org', repository: 'harbor.example.org/bob/app' }),
    policy({ owner: 'bob@example.org' }),
  ]);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('imagewarden notify', () => {
  it('--dry-run prints who would get what and sends nothing', async () => {
    const run = await runImagewarden(['notify', '--dry-run', '--config', config], { env });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'alice@example.org\t1 findings\t[imagewarden] 1 new high in 1 image you own',
    );
    expect(run.stdout).toContain(
      'bob@example.org\t2 findings\t[imagewarden] 1 new high, 1 policy issue in 2 images you own',
    );
    expect(run.stdout).toContain(
      'notify (dry run): 3 open findings (0 below scan.minSeverity, 0 without a fix not alerted), 3 to tell',
    );
    await expect(readdir(join(dir, 'outbox'))).rejects.toThrow();
  });

  it('writes one .eml per recipient to the outbox directory, then nothing on a re-run', async () => {
    const first = await runImagewarden(['notify', '--config', config, '--run-id', 'r1'], { env });
    const second = await runImagewarden(['notify', '--config', config, '--run-id', 'r2'], { env });

    expect(first.code).toBe(0);
    expect(first.stdout).toContain('sent 2, pending 0, refused 0');
    expect(await readdir(join(dir, 'outbox'))).toHaveLength(2);
    expect(second.stdout).toContain('0 to tell');
    expect(second.stdout).toContain('sent 0');
  });
});

describe('imagewarden serve-ack', () => {
  it('refuses to start without a link-signing key, exit 2', async () => {
    const run = await runImagewarden(['serve-ack', '--config', config, '--port', '0'], { env: {} });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('TEST_ACK_HMAC_KEY');
  });
});

describe('imagewarden ack', () => {
  it('add silences a finding for notify, list shows it, revoke brings it back', async () => {
    const add = await runImagewarden(
      [
        'ack',
        'add',
        '--config',
        config,
        '--repository',
        'harbor.example.org/team/app',
        '--vulnerability',
        'CVE-2024-0001',
        '--reason',
        'not reachable',
        '--author',
        'alice',
        '--days',
        '30',
      ],
      { env },
    );
    const id = add.stdout.split('\t')[0] ?? '';
    const dry = await runImagewarden(['notify', '--dry-run', '--config', config], { env });
    const list = await runImagewarden(['ack', 'list', '--config', config], { env });
    const revoke = await runImagewarden(['ack', 'revoke', id, '--config', config, '--by', 'alice'], { env });
    const listAll = await runImagewarden(['ack', 'list', '--all', '--config', config], { env });
    const dryAfter = await runImagewarden(['notify', '--dry-run', '--config', config], { env });

    expect(add.code).toBe(0);
    expect(id).toMatch(/^cli-/);
    expect(dry.stdout).not.toContain('alice@example.org');
    expect(dry.stdout).toContain('1 acknowledged');
    expect(list.stdout).toContain(`${id}\tactive`);
    expect(revoke.code).toBe(0);
    expect(listAll.stdout).toContain(`${id}\trevoked`);
    expect(dryAfter.stdout).toContain('alice@example.org');
  });

  it('refuses an ack without a scope or beyond the maximum expiry, exit 2', async () => {
    const noScope = await runImagewarden(['ack', 'add', '--config', config, '--reason', 'x'], { env });
    const tooLong = await runImagewarden(
      [
        'ack',
        'add',
        '--config',
        config,
        '--repository',
        'r/x',
        '--rule',
        'stale-image',
        '--reason',
        'x',
        '--days',
        '999',
      ],
      { env },
    );

    expect(noScope.code).toBe(2);
    expect(noScope.stderr).toContain('give exactly one of repository or digest');
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('more than 365 days');
  });

  it('reports an invalid acks file naming the entry, exit 2', async () => {
    await writeFile(
      join(dir, 'acks.yaml'),
      'acks:\n  - {repository: r/x, rule: stale-image, author: a, expires: 2030-01-01}\n',
    );

    const run = await runImagewarden(['ack', 'list', '--config', config], { env });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('acks[0].reason: a reason is required');
  });
});
