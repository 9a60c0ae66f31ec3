// Header hygiene: every header value imagewarden sets is checked for CR/LF (header injection)
// and addresses are checked against the config's address form before anything is queued.
import { EmailAddress } from '../../core/config/common.ts';
import { ValidationError } from '../../core/errors.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

export function assertHeaderValue(name: string, value: string): void {
  if (CONTROL.test(value)) {
    throw new ValidationError(`header ${name}`, 'contains a line break or control character');
  }
  if (value.length > 998) throw new ValidationError(`header ${name}`, 'is longer than 998 characters');
}

export function assertAddress(name: string, value: string): void {
  assertHeaderValue(name, value);
  if (!EmailAddress.safeParse(value).success) {
    throw new ValidationError(`header ${name}`, `${JSON.stringify(value)} is not an email address`);
  }
}

/** Validates from, to, subject and every extra header of a message about to be queued. */
export function validateHeaders(message: {
  from: string;
  to: string;
  subject: string;
  headers: Record<string, string>;
}): void {
  assertAddress('From', message.from);
  assertAddress('To', message.to);
  assertHeaderValue('Subject', message.subject);
  for (const [name, value] of Object.entries(message.headers)) {
    if (!/^[A-Za-z0-9-]+$/.test(name))
      throw new ValidationError(`header ${JSON.stringify(name)}`, 'bad header name');
    assertHeaderValue(name, value);
  }
}
