import { describe, expect, it } from 'vitest';
import { JwtError, shortLivedToken, signHs256, verifyHs256 } from '../../../core/jwt.ts';

const key = Buffer.from('a shared secret of some length');
const at = (iso: string) => () => new Date(iso);

describe('HS256 JWT', () => {
  it('verifies a token it signed and returns the claims', () => {
    // Prepare
    const token = shortLivedToken('imagewarden', key, new Date('2026-01-01T00:00:00Z'));
    // Act
    const claims = verifyHs256(token, key, { issuers: ['imagewarden'], now: at('2026-01-01T00:00:30Z') });
    // Assess
    expect(claims.iss).toBe('imagewarden');
    expect(claims.exp).toBe(Date.parse('2026-01-01T00:01:00Z') / 1000);
  });

  it('refuses a token signed with another key', () => {
    const token = shortLivedToken('imagewarden', Buffer.from('other key'));
    expect(() => verifyHs256(token, key)).toThrow(/bad signature/);
  });

  it('refuses an issuer that is not accepted', () => {
    const token = shortLivedToken('mallory', key);
    expect(() => verifyHs256(token, key, { issuers: ['clair-notifier'] })).toThrow(/issuer "mallory"/);
  });

  it('accepts 15 s of clock skew past exp, refuses more', () => {
    const token = signHs256({ iss: 'x', exp: 1_000 }, key);
    expect(() => verifyHs256(token, key, { now: () => new Date(1_014_000) })).not.toThrow();
    expect(() => verifyHs256(token, key, { now: () => new Date(1_016_000) })).toThrow(/expired/);
  });

  it('refuses tokens not yet valid or issued in the future', () => {
    expect(() =>
      verifyHs256(signHs256({ nbf: 2_000 }, key), key, { now: () => new Date(1_000_000) }),
    ).toThrow(/not yet valid/);
    expect(() =>
      verifyHs256(signHs256({ iat: 2_000 }, key), key, { now: () => new Date(1_000_000) }),
    ).toThrow(/future/);
  });

  it('refuses alg none and malformed tokens with a JwtError', () => {
    const [, body] = signHs256({ iss: 'x' }, key).split('.');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`;
    expect(() => verifyHs256(none, key)).toThrow(/algorithm none/);
    expect(() => verifyHs256('not-a-token', key)).toThrow(JwtError);
    expect(() => verifyHs256('a.b.c', key)).toThrow(/not valid JSON/);
  });
});
