import { describe, expect, it } from 'vitest';
import { verifyAckToken } from '../../../../functions/acks/token.ts';
import { composeMessage, composeMessages } from '../../../../functions/notify/compose.ts';
import { validateHeaders } from '../../../../functions/notify/headers.ts';
import type { PlannedItem } from '../../../../functions/notify/types.ts';
import { policy, vuln } from './fixtures.ts';

const NOW = new Date('2026-03-10T12:00:00Z');
const KEY = 'k'.repeat(40);
const options = {
  from: 'imagewarden@example.org',
  runId: 'run-1',
  now: NOW,
  ack: { baseUrl: 'https://ack.example.org/', hmacKey: KEY, linkDays: 30 },
};

const items = (findings: PlannedItem['finding'][]): PlannedItem[] =>
  findings.map((finding) => ({ finding, reason: 'new' }));

describe('composeMessage', () => {
  it('writes a subject with counts per severity and the number of images', () => {
    const message = composeMessage(
      'alice@example.org',
      items([
        vuln({ severity: 'Critical', vulnerability: 'CVE-1' }),
        vuln({ severity: 'Critical', vulnerability: 'CVE-2' }),
        vuln({ severity: 'High', vulnerability: 'CVE-3', repository: 'harbor.example.org/team/api' }),
        policy(),
      ]),
      options,
    );

    expect(message.subject).toBe('[imagewarden] 2 new critical, 1 high, 1 policy issue in 3 images you own');
  });

  it('shows image labels and descriptions as text, never markup', () => {
    const evil = vuln({
      repository: 'harbor.example.org/team/<script>alert(1)</script>',
      package: { name: 'pkg"><img src=x onerror=alert(1)>', version: '1' },
      links: ['javascript:alert(1)'],
    });

    const message = composeMessage('alice@example.org', items([evil]), options);

    expect(message.html).not.toContain('<script>');
    expect(message.html).not.toContain('<img src=x');
    expect(message.html).not.toContain('href="javascript:');
    expect(message.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(message.text).toContain('<script>alert(1)</script>');
  });

  it('gives each message a Message-ID stable per recipient and run, and a List-Id', () => {
    const first = composeMessage('alice@example.org', items([vuln()]), options);
    const again = composeMessage('Alice@Example.org', items([vuln()]), options);
    const nextRun = composeMessage('alice@example.org', items([vuln()]), { ...options, runId: 'run-2' });

    expect(again.messageId).toBe(first.messageId);
    expect(nextRun.messageId).not.toBe(first.messageId);
    expect(first.messageId).toMatch(/^<[a-f0-9]{32}\.digest@imagewarden\.example\.org>$/);
    expect(first.headers['List-Id']).toBe('imagewarden findings <findings.imagewarden.example.org>');
  });

  it('puts one signed acknowledge link per finding, bound to the recipient and the finding', () => {
    const message = composeMessage('alice@example.org', items([vuln({ fixedIn: undefined })]), options);

    const url = /https:\/\/ack\.example\.org\/ack\?t=([A-Za-z0-9_.-]+)/.exec(message.text)?.[1];
    const check = verifyAckToken(url ?? '', KEY, NOW);

    expect(check.ok && check.payload).toMatchObject({
      to: 'alice@example.org',
      scope: {
        repository: 'harbor.example.org/team/app',
        vulnerability: 'CVE-2024-0001',
        package: 'openssl',
      },
      fix: false,
    });
  });

  it('shows the fixed version of an OSV range, never the query string Clair stores', () => {
    const message = composeMessage(
      'alice@example.org',
      items([
        vuln({ vulnerability: 'GHSA-v845-jxx5-vc9f', fixedIn: 'fixed=1.26.17&introduced=0' }),
        vuln({ vulnerability: 'PYSEC-2023-74', fixedIn: 'introduced=2.3.0&lastAffected=2.30.0' }),
      ]),
      options,
    );

    for (const body of [message.text, message.html]) {
      expect(body).not.toContain('introduced=');
      expect(body).not.toContain('fixed=');
      expect(body).not.toContain('lastAffected');
    }
    expect(message.text).toMatch(/GHSA-v845-jxx5-vc9f in openssl \S+ -> 1\.26\.17/);
    expect(message.text).toMatch(/PYSEC-2023-74 in openssl \S+ -> no fix yet/);
    expect(message.html).toContain('>1.26.17</span>');
  });

  it('explains how to acknowledge without links when no signing key is configured', () => {
    const message = composeMessage('alice@example.org', items([vuln()]), { ...options, ack: undefined });

    expect(message.text).not.toContain('/ack?t=');
    expect(message.text).toContain('acks file');
  });

  it('tells policy findings with what to do', () => {
    const message = composeMessage('alice@example.org', items([policy()]), options);

    expect(message.text).toContain('What to do: Move the image to harbor.example.org');
    expect(message.html).toContain('What to do:');
  });

  it('reports a recipient whose address would inject headers instead of composing it', () => {
    const plan = {
      recipients: [
        { recipient: 'alice@example.org', items: items([vuln()]) },
        { recipient: 'bob@example.org\r\nBcc: all@example.org', items: items([vuln()]) },
      ],
      counts: {} as never,
    };

    const { messages, invalid } = composeMessages(plan, options);

    expect(messages.map((m) => m.to)).toEqual(['alice@example.org']);
    expect(invalid.map((i) => i.recipient)).toEqual(['bob@example.org\r\nBcc: all@example.org']);
  });
});

describe('validateHeaders', () => {
  it('refuses CR/LF in any header value', () => {
    const base = { from: 'a@example.org', to: 'b@example.org', subject: 'hi', headers: {} };

    expect(() => validateHeaders({ ...base, subject: 'hi\r\nBcc: x@example.org' })).toThrow(/Subject/);
    expect(() => validateHeaders({ ...base, headers: { 'X-A': 'a\nb' } })).toThrow(/X-A/);
    expect(() => validateHeaders(base)).not.toThrow();
  });
});
