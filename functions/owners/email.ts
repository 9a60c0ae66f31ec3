// Extracting one email address from an owner label or directory value. Label values are
// written by image authors, so they are untrusted: anything that could smuggle a header
// (CR/LF) or is not plainly an address is rejected with a reason. A value listing several
// mailboxes (`Platform Team <platform@corp.example>, Ops <ops@corp.example>`, the way
// `org.opencontainers.image.authors` is often written) yields its first one: only that one
// address is ever used, so a longer list cannot add recipients.
import { EmailAddress } from '../../core/config/common.ts';

export type EmailResult = { ok: true; address: string } | { ok: false; reason: string };

const MAX_LENGTH = 320;

/** Quoted display names blanked out, so commas, @ or brackets inside them do not count. */
function withoutQuotedNames(value: string): string {
  return value.replace(/"(?:[^"\\]|\\.)*"/g, (q) => 'x'.repeat(q.length));
}

/** The first mailbox of a comma- or semicolon-separated list, ignoring separators inside (comments). */
function firstListed(value: string): string {
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if ((c === ',' || c === ';') && depth === 0) return value.slice(0, i);
  }
  return value;
}

/**
 * Accepts `addr`, `<addr>`, `Display Name <addr>`, `"Quoted, Name" <addr>`, `addr (comment)`
 * and lists of those: the address in the first `<...>` when there is one, else the first
 * listed address. Returns the bare address with its domain lowercased.
 */
export function extractEmail(raw: string): EmailResult {
  if (typeof raw !== 'string') return { ok: false, reason: 'not a string' };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\r\n\x00-\x08\x0b-\x1f\x7f]/.test(raw))
    return { ok: false, reason: 'contains CR/LF or control characters' };
  const value = raw.trim();
  if (value === '') return { ok: false, reason: 'is empty' };
  if (value.length > MAX_LENGTH) return { ok: false, reason: `is longer than ${MAX_LENGTH} characters` };

  const masked = withoutQuotedNames(value);
  let candidate: string;
  if (/[<>]/.test(masked)) {
    const angle = /<([^<>]*)>/.exec(masked);
    const open = masked.indexOf('<');
    const close = masked.indexOf('>');
    if (!angle || close < open) return { ok: false, reason: 'has unbalanced angle brackets' };
    candidate = value.slice(angle.index + 1, angle.index + 1 + (angle[1] as string).length).trim();
  } else {
    const first = firstListed(masked);
    // `addr (comment)`: the old RFC 822 form some maintainers still write.
    candidate = value
      .slice(0, first.length)
      .replace(/\s*\([^()]*\)\s*$/, '')
      .trim();
  }
  if (candidate === '') return { ok: false, reason: 'names no address' };
  if (!EmailAddress.safeParse(candidate).success) return { ok: false, reason: 'is not an email address' };
  const at = candidate.lastIndexOf('@');
  return { ok: true, address: `${candidate.slice(0, at)}@${candidate.slice(at + 1).toLowerCase()}` };
}
