// The small HTML pages of the ack handler: confirm, recorded, refused. Plain, readable on a
// phone, no scripts, every value escaped.
import { escapeHtml } from '../notify/escape.ts';

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)} · imagewarden</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1f2328;line-height:1.5}
h1{font-size:1.4rem}.box{border:1px solid #d0d7de;border-radius:6px;padding:1rem;background:#f6f8fa}
label{display:block;margin-top:.8rem;font-weight:600}textarea,input{width:100%;box-sizing:border-box;font:inherit;padding:.4rem}
button{margin-top:1rem;padding:.5rem 1.2rem;font:inherit;font-weight:600;background:#1f6feb;color:#fff;border:0;border-radius:6px}
.refused{border-color:#cf222e;background:#ffebe9}.ok{border-color:#1a7f37;background:#dafbe1}code{word-break:break-all}
</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>
`;
}

export function confirmPage(options: {
  scope: string;
  recipient: string;
  token: string;
  defaultDays: number;
  maxDays: number;
  fixNote: string;
}): string {
  return page(
    'Acknowledge this finding?',
    `<div class="box"><p><strong>${escapeHtml(options.scope)}</strong></p>
<p>Acknowledging as <strong>${escapeHtml(options.recipient)}</strong>. imagewarden stops mailing about it until the
acknowledgement expires${escapeHtml(options.fixNote)}.</p></div>
<form method="post" action="ack">
<input type="hidden" name="t" value="${escapeHtml(options.token)}">
<label for="reason">Reason (kept with the acknowledgement)</label>
<textarea id="reason" name="reason" rows="3" required maxlength="500">Acknowledged from the imagewarden email</textarea>
<label for="days">Days until it expires (at most ${options.maxDays})</label>
<input id="days" name="days" type="number" min="1" max="${options.maxDays}" value="${options.defaultDays}">
<button type="submit">Acknowledge</button>
</form>
<p>Nothing is recorded until you press the button (mail scanners open links; they do not press buttons).</p>`,
  );
}

export function recordedPage(scope: string, expiresAt: string, id: string, already: boolean): string {
  return page(
    already ? 'Already acknowledged' : 'Acknowledged',
    `<div class="box ok"><p><strong>${escapeHtml(scope)}</strong></p>
<p>Acknowledged until <strong>${escapeHtml(expiresAt.slice(0, 10))}</strong>.</p>
<p>To undo: <code>imagewarden ack revoke ${escapeHtml(id)}</code></p></div>`,
  );
}

export function refusedPage(title: string, explanation: string): string {
  return page(
    title,
    `<div class="box refused"><p>${escapeHtml(explanation)}</p></div>
<p>Nothing was recorded. If you still want to acknowledge this finding, use the link in the latest imagewarden
email or ask the security contact to run <code>imagewarden ack add</code>.</p>`,
  );
}
