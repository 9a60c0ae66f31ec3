import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it, onTestFinished } from 'vitest';
import { composeMessage } from '../../../../functions/notify/compose.ts';
import { OutboxDirMailer } from '../../../../functions/notify/OutboxDirMailer.ts';
import { policy, vuln } from './fixtures.ts';

describe('OutboxDirMailer', () => {
  it('writes one .eml per message, named by its outbox id, readable by a mail parser', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'iw-outbox-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const message = composeMessage(
      'alice@example.org',
      [
        { finding: vuln(), reason: 'new' },
        { finding: policy(), reason: 'reminder' },
      ],
      { from: 'imagewarden@example.org', runId: 'run-1', now: new Date('2026-03-10T12:00:00Z') },
    );
    const mailer = new OutboxDirMailer(dir);
    // Act
    await mailer.send(message);
    await mailer.send(message);
    // Assess
    expect(readdirSync(dir)).toEqual([`${message.id}.eml`]);
    const parsed = await simpleParser(readFileSync(join(dir, `${message.id}.eml`)));
    expect(parsed.to).toMatchObject({ text: 'alice@example.org' });
    expect(parsed.text).toContain('NEW AND CHANGED');
    expect(parsed.text).toContain('STILL OPEN (reminder)');
    expect(parsed.html).toContain('Still open (reminder)');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
  });
});
