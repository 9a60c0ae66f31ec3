import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../core/errors.ts';
import { parseAckFile } from '../../../../functions/acks/file.ts';

const NOW = new Date('2026-03-10T12:00:00Z');
const POLICY = { defaultDays: 90, maxDays: 365 };

function errorOf(text: string): string {
  try {
    parseAckFile(text, 'acks.yaml', NOW, POLICY);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('parseAckFile', () => {
  it('reads the example file', () => {
    const today = new Date('2026-11-24T12:00:00Z');
    const acks = parseAckFile(
      readFileSync('examples/acks.yaml', 'utf8'),
      'examples/acks.yaml',
      today,
      POLICY,
    );

    expect(acks.length).toBeGreaterThanOrEqual(3);
    expect(acks.every((a) => new Date(a.expiresAt) > today)).toBe(true);
    expect(acks.every((a) => a.source === 'file' && a.id.startsWith('file-'))).toBe(true);
  });

  it('takes the default expiry from `created` and keeps ids stable across edits elsewhere in the file', () => {
    const one = `acks:
  - repository: harbor.example.org/team/app
    vulnerability: CVE-2024-0001
    reason: not reachable
    author: alice
    created: 2026-03-01
`;
    const [first] = parseAckFile(one, 'acks.yaml', NOW, POLICY);
    const [, again] = parseAckFile(
      `acks:\n  - {repository: r/x, rule: stale-image, reason: r, author: a, expires: 2026-04-01}\n${one.slice(6)}`,
      'acks.yaml',
      NOW,
      POLICY,
    );

    expect(first?.expiresAt).toBe('2026-05-30T00:00:00.000Z');
    expect(again?.id).toBe(first?.id);
  });

  it('keeps an entry whose expiry has passed as an expired ack, with or without `created`', () => {
    // Prepare: the example file read long after its entries ran out
    const later = new Date('2027-06-01T00:00:00Z');
    const text = readFileSync('examples/acks.yaml', 'utf8');
    // Act
    const acks = parseAckFile(text, 'examples/acks.yaml', later, POLICY);
    // Assess
    expect(acks).toHaveLength(4);
    expect(acks.every((a) => new Date(a.expiresAt) <= later)).toBe(true);
    expect(acks.find((a) => a.scope.rule === 'unapproved-registry')?.expiresAt).toBe(
      '2027-01-15T00:00:00.000Z',
    );
  });

  it('names the entry index and field of every problem at once', () => {
    const message = errorOf(`acks:
  - repository: harbor.example.org/team/app
    vulnerability: CVE-1
    reason: ok
    author: alice
    expires: 2026-04-01
  - repository: harbor.example.org/team/app
    vulnerability: CVE-2
    author: bob
    expires: 2026-04-01
  - repository: harbor.example.org/team/app
    reason: which one?
    author: carol
    expires: 2026-04-01
  - repository: harbor.example.org/team/app
    vulnerability: CVE-4
    reason: forever
    author: dave
    expires: 2030-01-01
  - repository: harbor.example.org/team/app
    vulnerability: CVE-5
    reason: typo
    author: erin
    expire: 2026-04-01
`);

    expect(message).toContain('acks[1].reason: a reason is required');
    expect(message).toContain('acks[2].vulnerability: give exactly one of vulnerability or rule');
    expect(message).toContain('acks[3].expires: expiry is more than 365 days');
    expect(message).toMatch(/acks\[4\]: Unrecognized key: "expire"/);
    expect(message).not.toContain('acks[0]');
  });

  it('refuses an entry without expires or created, which would never expire', () => {
    expect(errorOf('acks:\n  - {repository: r/x, rule: stale-image, reason: r, author: a}\n')).toContain(
      'acks[0].expires: give expires (or created',
    );
  });

  it('refuses a bad rule and a bad date with the value shown', () => {
    const message = errorOf(
      'acks:\n  - {repository: r/x, rule: too-old, reason: r, author: a, expires: "next week"}\n',
    );

    expect(message).toContain('acks[0].rule');
    expect(message).toContain(
      'acks[0].expires: expected a date (YYYY-MM-DD) or an ISO timestamp, got "next week"',
    );
  });

  it('accepts an empty file', () => {
    expect(parseAckFile('', 'acks.yaml', NOW, POLICY)).toEqual([]);
    expect(parseAckFile('acks: []\n', 'acks.yaml', NOW, POLICY)).toEqual([]);
  });
});
