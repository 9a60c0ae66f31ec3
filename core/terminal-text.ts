// Makes text from outside (image names, labels, owner addresses, ack reasons, server errors)
// inert on a terminal: C0 controls except newline and tab, DEL, C1 controls, and the
// bidirectional overrides and isolates (U+202A–202E, U+2066–2069, U+200E/F) become visible
// `\uXXXX` escapes. Escape sequences could otherwise move the cursor, rewrite earlier lines or
// set the window title, and bidi overrides make a name read differently from what it is.
// The escape is JSON's own form, so JSON output passed through stays valid and means the same.

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escapeOne = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every control and bidi-override character written as `\uXXXX`; idempotent. */
export function escapeTerminal(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/** Whether the text holds anything escapeTerminal would change. */
export function hasUnsafeCharacters(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return found;
}

// a field may hold no line or column break either
const FIELD_BREAKS = /[\t\n\r]/g;

/** One cell of a table or tab-separated line: also tab and line breaks escaped, so columns hold. */
export function escapeField(text: string): string {
  return escapeTerminal(text).replace(FIELD_BREAKS, escapeOne);
}
