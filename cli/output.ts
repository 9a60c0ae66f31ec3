// What leaves the CLI for a terminal or a pipe passes through here: secrets registered with the
// logger are replaced (an upstream error quoting a credential), and control and bidi-override
// characters from outside sources (image names, labels, ack reasons, server messages) are
// written as `\uXXXX` escapes. Applied to the whole stdout/stderr of every command, so no
// command can forget it; tables escape each cell first so their columns line up.
import { redactText } from '../core/redact.ts';
import { escapeField, escapeTerminal } from '../core/terminal-text.ts';
import type { Output } from './context.ts';

export function inertOutput(output: Output): Output {
  return { write: (text) => output.write(escapeTerminal(redactText(text))) };
}

/** Left-aligned columns separated by two spaces; every cell escaped. */
export function table(rows: readonly (readonly string[])[]): string {
  const cells = rows.map((r) => r.map(escapeField));
  const widths = cells[0]?.map((_, col) => Math.max(...cells.map((r) => (r[col] ?? '').length))) ?? [];
  return cells
    .map((r) =>
      r
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One tab-separated line of escaped fields, newline-terminated. */
export function tsvLine(fields: readonly string[]): string {
  return `${fields.map(escapeField).join('\t')}\n`;
}
