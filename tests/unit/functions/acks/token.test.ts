import { describe, expect, it } from 'vitest';
import { type AckTokenPayload, signAckToken, verifyAckToken } from '../../../../functions/acks/token.ts';

const KEY = 'test-key-0123456789-0123456789-0123456789';
const NOW = new Date('2026-03-10T12:00:00Z');
const payload: AckTokenPayload = {
  v: 1,
  id: 'abcdefgh1234',
  scope: { repository: 'harbor.example.org/team/app', vulnerability: 'CVE-2024-0001' },
  to: 'alice@example.org',
  exp: Math.floor(NOW.getTime() / 1000) + 3600,
};

describe('ack tokens', () => {
  it('verifies a token it signed and returns its payload', () => {
    expect(verifyAckToken(signAckToken(payload, KEY), KEY, NOW)).toEqual({ ok: true, payload });
  });

  it('rejects a token whose payload was altered (another recipient or scope)', () => {
    const token = signAckToken(payload, KEY);
    const [, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...payload, to: 'mallory@example.org' })).toString(
      'base64url',
    );

    expect(verifyAckToken(`${forged}.${signature}`, KEY, NOW)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('rejects a token signed with another key', () => {
    expect(verifyAckToken(signAckToken(payload, `${KEY}x`), KEY, NOW)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('rejects an expired token', () => {
    const later = new Date(NOW.getTime() + 3600_000);

    expect(verifyAckToken(signAckToken(payload, KEY), KEY, later)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects garbage without throwing', () => {
    for (const junk of ['', 'abc', 'a.b.c', '.', `${'x'.repeat(5000)}.y`]) {
      expect(verifyAckToken(junk, KEY, NOW).ok).toBe(false);
    }
  });
});
