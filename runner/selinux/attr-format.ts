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
  /** Raw value bytes (NUL included when the file has one). */
  value: Uint8Array;
}

/** Parses `getfattr -e hex -n <name>` output into entries for that one attribute name. */
export function parseHexDump(output: string, name: string): DumpEntry[] {
  const entries: DumpEntry[] = [];
  let path: string | undefined;
  const prefix = `${name}=`;
  for (const line of output.split('\n')) {
    if (line.startsWith('# file: ')) {
      path = unescapeAttrPath(line.slice(8));
    } else if (path !== undefined && line.startsWith(prefix)) {
      const raw = line.slice(prefix.length);
      const hex = raw.startsWith('0x') ? raw.slice(2) : '';
      entries.push({ path, value: Buffer.from(hex, 'hex') });
      path = undefined;
    }
  }
  return entries;
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
