// Extracting one email address from an owner label or directory value. Label values are
// written by image authors, so they are untrusted: anything that could smuggle a header
// (CR/LF), name several recipients, or is not plainly an address is rejected with a reason.
import { EmailAddress } from '../../core/config/common.ts';

export type EmailResult = { ok: true; address: string } | { ok: false; reason: string };

const MAX_LENGTH = 320;

/**
 * Accepts `addr`, `<addr>`, `Display Name <addr>`, `"Quoted, Name" <addr>` and `addr (comment)`;
 * returns the bare address with its domain lowercased.
 */
export function extractEmail(raw: string): EmailResult {
  if (typeof raw !== 'string') return { ok: false, reason: 'not a string' };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\r\n\x00-\x08\x0b-\x1f\x7f]/.test(raw))
    return { ok: false, reason: 'contains CR/LF or control characters' };
  const value = raw.trim();
  if (value === '') return { ok: false, reason: 'is empty' };
  if (value.length > MAX_LENGTH) return { ok: false, reason: `is longer than ${MAX_LENGTH} characters` };

  // Drop a quoted display name first so commas or @ inside it do not look like a second address.
  const unquoted = value.replace(/^"(?:[^"\\]|\\.)*"\s*(?=<)/, 'x ');
  if ((unquoted.match(/@/g) ?? []).length > 1 || /[,;]/.test(unquoted.replace(/\([^)]*\)/g, ''))) {
    return { ok: false, reason: 'names more than one address' };
  }

  let candidate: string;
  const angle = /^(?:[^<>]*?)\s*<([^<>]+)>$/.exec(unquoted);
  if (angle) {
    candidate = (angle[1] as string).trim();
  } else if (/[<>]/.test(unquoted)) {
    return { ok: false, reason: 'has unbalanced angle brackets' };
  } else {
    // `addr (comment)`: the old RFC 822 form some maintainers still write.
    candidate = unquoted.replace(/\s*\([^()]*\)\s*$/, '');
  }
  if (!EmailAddress.safeParse(candidate).success) return { ok: false, reason: 'is not an email address' };
  const at = candidate.lastIndexOf('@');
  return { ok: true, address: `${candidate.slice(0, at)}@${candidate.slice(at + 1).toLowerCase()}` };
}
