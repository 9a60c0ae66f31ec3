// The structure of an HCL file with line numbers, which @cdktn/hcl2json's JSON does not keep:
// blocks (type, labels, line, body) and attributes (name, line, expression). Each expression
// comes with its "code": the source text with string-literal characters blanked (template
// interpolations kept), so references can be found by pattern without matching prose, and an
// offset in it still maps to a line. hcl2json stays the judge of syntax (check.ts parses
// every file with it first); this scanner only has to follow well-formed HCL.

export interface HclAttr {
  kind: 'attr';
  name: string;
  line: number;
  /** The expression with literal text blanked; offsets as in the file from `offset`. */
  code: string;
  /** The expression as written. */
  raw: string;
  offset: number;
}

export interface HclBlock {
  kind: 'block';
  type: string;
  labels: string[];
  line: number;
  body: Array<HclAttr | HclBlock>;
}

export class HclScanError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'HclScanError';
  }
}

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;

class Scanner {
  private i = 0;
  /** The file with literal characters blanked as they are met. */
  readonly code: string[];
  private readonly lineStarts: number[] = [0];

  constructor(private readonly text: string) {
    // UTF-16 units, as string offsets count
    this.code = text.split('');
    for (let k = 0; k < text.length; k++) if (text[k] === '\n') this.lineStarts.push(k + 1);
  }

  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  private fail(message: string): never {
    throw new HclScanError(message, this.lineAt(this.i));
  }

  private blank(from: number, to: number): void {
    for (let k = from; k < to; k++) if (this.code[k] !== '\n') this.code[k] = ' ';
  }

  private peek(n = 0): string {
    return this.text[this.i + n] ?? '';
  }

  /** Skips a comment at the cursor, if any; true when one was skipped. */
  private comment(): boolean {
    const c = this.peek();
    const start = this.i;
    if (c === '#' || (c === '/' && this.peek(1) === '/')) {
      while (this.i < this.text.length && this.peek() !== '\n') this.i++;
    } else if (c === '/' && this.peek(1) === '*') {
      const end = this.text.indexOf('*/', this.i + 2);
      this.i = end < 0 ? this.text.length : end + 2;
    } else return false;
    this.blank(start, this.i);
    return true;
  }

  private skipSpace(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.i++;
      else if (!this.comment()) return;
    }
  }

  private ident(): string | null {
    IDENT.lastIndex = this.i;
    const m = IDENT.exec(this.text);
    if (!m) return null;
    this.i += m[0].length;
    return m[0];
  }

  /** A quoted template from the opening quote; literal parts blanked, interpolations kept. */
  private quoted(): string {
    const start = this.i;
    this.i++;
    let literal = '';
    let from = this.i;
    while (this.i < this.text.length) {
      const c = this.peek();
      if (c === '\\') {
        literal += this.text.slice(this.i, this.i + 2);
        this.i += 2;
      } else if (c === '"') {
        this.blank(from, this.i);
        this.i++;
        this.code[start] = ' ';
        this.code[this.i - 1] = ' ';
        return literal;
      } else if ((c === '$' || c === '%') && this.peek(1) === '{') {
        this.blank(from, this.i + 2);
        this.i += 2;
        this.expression('}');
        this.code[this.i] = ' ';
        this.i++;
        from = this.i;
      } else if (c === '\n') {
        this.fail('newline in a quoted string');
      } else {
        literal += c;
        this.i++;
      }
    }
    return this.fail('unterminated string');
  }

  /** A heredoc from `<<`: literal lines blanked until the closing marker line. */
  private heredoc(): void {
    const m = /<<-?([A-Za-z_][A-Za-z0-9_]*)\r?\n/y;
    m.lastIndex = this.i;
    const head = m.exec(this.text);
    if (!head) this.fail('malformed heredoc');
    const marker = head[1] as string;
    this.i += head[0].length;
    let from = this.i;
    while (this.i < this.text.length) {
      const lineEnd = this.text.indexOf('\n', this.i);
      const line = this.text.slice(this.i, lineEnd < 0 ? undefined : lineEnd);
      if (line.trim() === marker) {
        this.blank(from, this.i);
        this.i += line.length;
        return;
      }
      const interp = line.search(/[$%]\{/);
      if (interp >= 0) {
        this.blank(from, this.i + interp + 2);
        this.i += interp + 2;
        this.expression('}');
        this.i++;
        from = this.i;
        continue;
      }
      this.i = lineEnd < 0 ? this.text.length : lineEnd + 1;
    }
    this.fail(`heredoc ${marker} never closed`);
  }

  /**
   * An expression from the cursor to its end: a newline outside brackets (attribute values), or
   * the `close` character outside brackets (interpolations, one-line blocks), not consumed.
   */
  expression(close: '}' | null): void {
    let depth = 0;
    while (this.i < this.text.length) {
      if (this.comment()) continue;
      const c = this.peek();
      if (depth === 0 && c === '\n' && close === null) return;
      if (depth === 0 && c === '}') return;
      if (c === '"') this.quoted();
      else if (c === '<' && this.peek(1) === '<' && /[-A-Za-z_]/.test(this.peek(2))) this.heredoc();
      else {
        if (c === '(' || c === '[' || c === '{') depth++;
        else if (c === ')' || c === ']' || c === '}') depth--;
        this.i++;
      }
    }
  }

  /** Block or attribute items until `}` (nested) or the end of the file (top level). */
  body(nested: boolean): Array<HclAttr | HclBlock> {
    const items: Array<HclAttr | HclBlock> = [];
    for (;;) {
      this.skipSpace(true);
      if (this.i >= this.text.length) {
        if (nested) this.fail('block never closed');
        return items;
      }
      if (this.peek() === '}') {
        if (!nested) this.fail('unexpected }');
        this.i++;
        return items;
      }
      const start = this.i;
      const name = this.ident();
      if (name === null) this.fail(`unexpected ${JSON.stringify(this.peek())}`);
      this.skipSpace(false);
      if (this.peek() === '=' && this.peek(1) !== '=') {
        this.i++;
        const from = this.i;
        this.expression(null);
        items.push({
          kind: 'attr',
          name,
          line: this.lineAt(start),
          code: this.code.slice(from, this.i).join(''),
          raw: this.text.slice(from, this.i),
          offset: from,
        });
        continue;
      }
      const labels: string[] = [];
      for (;;) {
        this.skipSpace(false);
        if (this.peek() === '"') labels.push(this.quoted());
        else if (this.peek() === '{') break;
        else {
          const label = this.ident();
          if (label === null) this.fail(`expected a label or { after ${name}`);
          labels.push(label);
        }
      }
      this.i++;
      items.push({ kind: 'block', type: name, labels, line: this.lineAt(start), body: this.body(true) });
    }
  }
}

/** The top-level body of a file, and a function from a file offset to its line. */
export function scanHcl(text: string): {
  body: Array<HclAttr | HclBlock>;
  lineAt: (offset: number) => number;
} {
  const scanner = new Scanner(text);
  const body = scanner.body(false);
  return { body, lineAt: (offset) => scanner.lineAt(offset) };
}
