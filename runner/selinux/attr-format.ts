// The text formats of getfattr's dump and setfattr's --restore input: `# file: <path>` with
// control characters and backslashes as \ooo octal, then `name=0x<hex>` lines, then a blank.

/** Escapes a path the way getfattr prints it (and setfattr --restore reads it back). */
export function escapeAttrPath(path: string): string {
  const bytes = Buffer.from(path, 'utf8');
  let out = '';
  let plainStart = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if ((b < 0x21 && b !== 0x20) || b === 0x5c || b === 0x7f) {
      out += bytes.subarray(plainStart, i).toString('utf8');
      out += `\\${b.toString(8).padStart(3, '0')}`;
      plainStart = i + 1;
    }
  }
  return out + bytes.subarray(plainStart).toString('utf8');
}

/** Undoes getfattr's \ooo escapes (on bytes, so multi-byte UTF-8 survives). */
export function unescapeAttrPath(text: string): string {
  if (!text.includes('\\')) return text;
  const input = Buffer.from(text, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const b = input[i] as number;
    if (
      b === 0x5c &&
      i + 3 < input.length + 0 &&
      /^[0-7]{3}$/.test(input.subarray(i + 1, i + 4).toString('latin1'))
    ) {
      out.push(Number.parseInt(input.subarray(i + 1, i + 4).toString('latin1'), 8));
      i += 3;
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out).toString('utf8');
}

export interface DumpEntry {
  path: string;
  /** The value as getfattr printed it (`0x...` or `"..."`); NUL included when the file has one. */
  value: string;
}

/**
 * Parses `getfattr -n <name>` output (`-e hex` or `-e text`) into entries for that one
 * attribute name. Values stay encoded: callers decode each distinct value once (decodeValue).
 */
export function parseDump(output: string, name: string): DumpEntry[] {
  const entries: DumpEntry[] = [];
  let path: string | undefined;
  const prefix = `${name}=`;
  let start = 0;
  while (start < output.length) {
    let end = output.indexOf('\n', start);
    if (end < 0) end = output.length;
    if (output.startsWith('# file: ', start)) {
      path = unescapeAttrPath(output.slice(start + 8, end));
    } else if (path !== undefined && output.startsWith(prefix, start)) {
      entries.push({ path, value: output.slice(start + prefix.length, end) });
      path = undefined;
    }
    start = end + 1;
  }
  return entries;
}

/**
 * Decodes a value as getfattr prints it: `0x<hex>`, `0s<base64>` or `"text"` where `\"`, `\\`
 * and `\ooo` are escapes (text mode drops a trailing NUL; labels are compared without it anyway).
 */
export function decodeValue(encoded: string): Buffer {
  if (encoded.startsWith('0x')) return Buffer.from(encoded.slice(2), 'hex');
  if (encoded.startsWith('0s')) return Buffer.from(encoded.slice(2), 'base64');
  const text = encoded.startsWith('"') && encoded.endsWith('"') ? encoded.slice(1, -1) : encoded;
  const input = Buffer.from(text, 'utf8');
  if (!input.includes(0x5c)) return input;
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const b = input[i] as number;
    if (b !== 0x5c || i + 1 >= input.length) {
      out.push(b);
      continue;
    }
    const octal = input.subarray(i + 1, i + 4).toString('latin1');
    if (/^[0-7]{3}$/.test(octal)) {
      out.push(Number.parseInt(octal, 8));
      i += 3;
    } else {
      out.push(input[i + 1] as number);
      i += 1;
    }
  }
  return Buffer.from(out);
}

/** One setfattr --restore block writing `value` (hex, so any byte is safe) to `name`. */
export function restoreBlock(path: string, name: string, value: Uint8Array): string {
  return `# file: ${escapeAttrPath(path)}\n${name}=0x${Buffer.from(value).toString('hex')}\n\n`;
}

/**
 * Splits getfattr/setfattr stderr into per-path messages. Lines look like
 * `<path>: security.selinux: No such attribute` or `setfattr: <path>: <reason>`.
 */
export function parseAttrErrors(stderr: string, name: string): Map<string, string> {
  const errors = new Map<string, string>();
  for (const rawLine of stderr.split('\n')) {
    let line = rawLine;
    if (line.length === 0) continue;
    for (const tool of ['getfattr: ', 'setfattr: '])
      if (line.startsWith(tool)) line = line.slice(tool.length);
    const attrAt = line.lastIndexOf(`: ${name}: `);
    if (attrAt > 0) {
      errors.set(unescapeAttrPath(line.slice(0, attrAt)), line.slice(attrAt + name.length + 4));
      continue;
    }
    const at = line.lastIndexOf(': ');
    if (at > 0) errors.set(unescapeAttrPath(line.slice(0, at)), line.slice(at + 2));
  }
  return errors;
}
