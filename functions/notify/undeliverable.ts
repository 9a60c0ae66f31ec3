// When an owner's address refuses a digest (5xx on the recipient), the security contact gets
// the findings instead, with the server's answer, so someone fixes the owner label and nothing
// is silently dropped.

import { baseHeaders, messageIdentity } from './compose.ts';
import { escapeHtml as e, oneLine } from './escape.ts';
import { validateHeaders } from './headers.ts';
import type { ComposedMessage } from './types.ts';

export function composeUndeliverable(
  original: ComposedMessage,
  error: string,
  options: { securityContact: string; from: string; runId: string; now: Date },
): ComposedMessage {
  const { id, messageId } = messageIdentity(original.id, options.runId, options.from, 'undeliverable');
  const count = original.findings.length;
  const subject = oneLine(
    `[imagewarden] undeliverable: ${count} finding${count === 1 ? '' : 's'} for ${original.to}`,
    250,
  );
  const intro = `imagewarden could not deliver the digest below to ${original.to}: ${oneLine(error, 300)}. Please fix the owner label (or the host owner mapping) so the owner hears about these findings.`;
  const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(original.html)?.[1] ?? '';
  const message: ComposedMessage = {
    id,
    messageId,
    kind: 'undeliverable',
    from: options.from,
    to: options.securityContact,
    subject,
    text: `${intro}\n\nOriginal subject: ${original.subject}\n\n${original.text}`,
    html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${e(subject)}</title></head><body style="margin:0;padding:0">
<div style="font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;max-width:760px;margin:16px auto;padding:12px;border:1px solid #cf222e;background:#ffebe9;border-radius:6px;font-size:14px">${e(intro)}</div>
${body}</body></html>
`,
    headers: { ...baseHeaders(options.from, options.runId), 'X-Imagewarden-Original': original.messageId },
    findings: original.findings,
    createdAt: options.now.toISOString(),
  };
  validateHeaders(message);
  return message;
}
