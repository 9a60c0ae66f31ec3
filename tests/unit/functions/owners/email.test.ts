import { describe, expect, it } from 'vitest';
import { extractEmail } from '../../../../functions/owners/email.ts';

describe('extractEmail', () => {
  const accepted: Array<[string, string]> = [
    ['pdt@example.com', 'pdt@example.com'],
    ['PDT <pdt@example.com>', 'pdt@example.com'],
    ['<pdt@example.com>', 'pdt@example.com'],
    ['"Platform, Dev Team" <pdt@example.com>', 'pdt@example.com'],
    ['"a@b" <pdt@example.com>', 'pdt@example.com'],
    ['  pdt@Example.COM  ', 'pdt@example.com'],
    ['Ola.Nordmann+img@usit.uio.no', 'Ola.Nordmann+img@usit.uio.no'],
    ['pdt@example.com (Platform team)', 'pdt@example.com'],
    // lists: the address in the first <...>, else the first listed address
    ['Platform Team <platform@corp.example>, Ops <ops@corp.example>', 'platform@corp.example'],
    ['Platform Team <platform@Corp.Example>; Ops <ops@corp.example>', 'platform@corp.example'],
    ['"Team, Platform" <platform@corp.example>, Ops <ops@corp.example>', 'platform@corp.example'],
    ['Platform Team, Ops <ops@corp.example>', 'ops@corp.example'],
    ['PDT <pdt@example.com> <eve@evil.example>', 'pdt@example.com'],
    ['pdt@example.com, eve@evil.example', 'pdt@example.com'],
    ['pdt@example.com (Platform, Dev); eve@evil.example', 'pdt@example.com'],
  ];
  it.each(accepted)('accepts %j as %s', (input, expected) => {
    // Act
    const result = extractEmail(input);
    // Assess
    expect(result).toEqual({ ok: true, address: expected });
  });

  const rejected: Array<[string, RegExp]> = [
    ['pdt@example.com\r\nBcc: victim@example.org', /CR\/LF/],
    ['pdt@example.com\nX-Injected: 1', /CR\/LF/],
    ['PDT <pdt@example.com>\r', /CR\/LF/],
    ['Platform Team <not an address>, Ops <ops@corp.example>', /not an email/],
    ['Platform Team <>, Ops <ops@corp.example>', /no address/],
    ['Ops > <ops@corp.example>', /angle brackets/],
    ['Platform team', /not an email/],
    ['', /empty/],
    ['   ', /empty/],
    ['pdt@localhost', /not an email/],
    ['pdt@@example.com', /not an email/],
    ['PDT <pdt@example.com', /angle brackets|not an email/],
    ['pdt @example.com', /not an email/],
    ['<script>alert(1)</script>', /angle brackets|not an email/],
    [`${'a'.repeat(400)}@example.com`, /longer than/],
    ['pdt\u0000@example.com', /control/],
  ];
  it.each(rejected)('rejects %j', (input, reason) => {
    // Act
    const result = extractEmail(input);
    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});
