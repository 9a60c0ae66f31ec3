import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../core/config/load.ts';
import { createStateStore } from '../../../../core/state/createStateStore.ts';
import { FakeDocumentClient } from './fake-document-client.ts';

describe('createStateStore', () => {
  it('keeps JSON files under state.dir for the file backend', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'iw-state-'));
    try {
      const { state } = parseConfig({ state: { backend: 'file', dir } });

      // Act
      await createStateStore(state).put('acks', 'repo/CVE-1', { by: 'a@example.org' });

      // Assess
      expect(await readFile(join(dir, 'acks.jsonl'), 'utf8')).toBe(
        `${JSON.stringify({ k: 'repo/CVE-1', v: { by: 'a@example.org' } })}\n`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes to the configured table for the dynamodb backend', async () => {
    // Prepare
    const client = new FakeDocumentClient();
    const sent: string[] = [];
    const send = client.send;
    client.send = ((command: { input: { TableName: string } }) => {
      sent.push(command.input.TableName);
      return send(command as never);
    }) as typeof client.send;
    const { state } = parseConfig({ state: { backend: 'dynamodb', table: 'prod-state' } });

    // Act
    const store = createStateStore(state, { client });
    await store.put('acks', 'k', 1);

    // Assess
    expect(sent).toEqual(['prod-state']);
    expect(await store.get('acks', 'k')).toBe(1);
  });
});
