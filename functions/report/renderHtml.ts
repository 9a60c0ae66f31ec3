// The report as one self-contained HTML page: inline CSS, no scripts, no fonts or images from
// the network, readable at 1280 px and on a phone (tables scroll inside their own box). Every
// string from outside (image names, labels, package names, reasons) is escaped, with control
// and bidi-override characters shown as \u{...} so they can neither break the page nor
// reorder what a reader sees.
import { escapeHtml, safeHref } from '../notify/escape.ts';
import type { ReportImage, ReportModel } from './ReportModel.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: making control characters visible is the point
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text from outside, safe in HTML text and attribute values. */
export function text(value: string | number): string {
  return escapeHtml(
    String(value).replace(
      INVISIBLE,
      (ch) => `\\u{${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}}`,
    ),
  );
}

/** An image name that wraps after a "/" (or ".") before it wraps anywhere else. */
export function name(value: string): string {
  return text(value).replace(/([/.])/g, '$1<wbr>');
}

/**
 * A fixed version as a person reads it: Clair's OSV-style updaters give
 * `fixed=16.6-1&introduced=16.0`; the page shows the fixed version and, muted, where the
 * affected range starts. Anything else is shown as it is.
 */
function fixedVersion(value: string): string {
  if (!/^[a-z_]+=[^&]*(&[a-z_]+=[^&]*)*$/.test(value)) return `<code>${text(value)}</code>`;
  const params = new URLSearchParams(value);
  const fixed = params.get('fixed');
  if (!fixed) return `<code>${text(value)}</code>`;
  const introduced = params.get('introduced');
  return `<code>${text(fixed)}</code>${introduced ? ` <span class="muted">(affected from ${text(introduced)})</span>` : ''}`;
}

const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] as const;

const CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#d9dde5;--bg:#f6f7f9;--card:#fff;--crit:#a4161a;--high:#d9480f;--med:#b08800;--low:#2b8a3e;--unk:#5b6475}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1d2330;color:#fff;padding:16px 24px}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c5cad6;font-size:13px}
main{max-width:1240px;margin:0 auto;padding:16px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px;margin:0 0 16px}
h2{font-size:17px;margin:0 0 12px}
h3{font-size:15px;margin:16px 0 8px;overflow-wrap:anywhere}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px}
.tile{border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.tile b{display:block;font-size:24px}
.tile span{color:var(--muted);font-size:13px}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600;white-space:nowrap}
td{overflow-wrap:anywhere;max-width:420px;min-width:10em}
td:first-child{min-width:0}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace}
.sev{display:inline-block;white-space:nowrap;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.Critical{background:var(--crit)}.High{background:var(--high)}.Medium{background:var(--med)}.Low,.Negligible{background:var(--low)}.Unknown{background:var(--unk)}
.muted{color:var(--muted)}
.nw{white-space:nowrap}
.ack{color:var(--low);font-size:12px}
.note{background:#fff8e1;border-color:#f1d48a}
ul.changes{margin:0;padding-left:20px}
@media (max-width:640px){main{padding:8px}section{padding:12px}header{padding:12px}
.tiles{grid-template-columns:repeat(auto-fit,minmax(96px,1fr));gap:8px}.tile{padding:8px}.tile b{font-size:20px}
thead{display:none}table,tbody,tr,td{display:block;width:100%}
tr{border-bottom:1px solid var(--line);padding:6px 0}td{border:0;padding:2px 0 2px 96px;position:relative;max-width:none;min-width:0}
td::before{content:attr(data-label);position:absolute;left:0;width:90px;color:var(--muted);font-size:12px;font-weight:600;line-height:20px}}
`;

export function renderReportHtml(model: ReportModel): string {
  const sections = [
    notes(model),
    overview(model),
    changes(model),
    vulnerabilities(model),
    policy(model),
    owners(model),
    selinux(model),
    acks(model),
    runners(model),
  ].filter((s) => s !== '');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>imagewarden report ${text(model.cycle.takenAt)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>imagewarden report</h1><p>Cycle of ${text(model.cycle.window.from)} to ${text(model.cycle.window.to)} · generated ${text(model.generatedAt)}</p></header>
<main>
${sections.join('\n')}
</main>
</body>
</html>
`;
}

function table(head: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="muted">${text(empty)}</p>`;
  return `<div class="scroll"><table><thead><tr>${head.map((h) => `<th>${text(h)}</th>`).join('')}</tr></thead><tbody>
${rows.map((r) => `<tr>${r.map((c, i) => `<td data-label="${text(head[i] ?? '')}">${c}</td>`).join('')}</tr>`).join('\n')}
</tbody></table></div>`;
}

const sev = (s: string): string => `<span class="sev ${text(s)}">${text(s)}</span>`;
const ack = (acknowledged: boolean): string => (acknowledged ? ' <span class="ack">acknowledged</span>' : '');

function notes(model: ReportModel): string {
  if (model.notes.length === 0) return '';
  return `<section class="note">${model.notes.map((n) => `<p>${text(n)}</p>`).join('')}</section>`;
}

function overview(model: ReportModel): string {
  const t = model.totals;
  const tiles: Array<[string | number, string]> = [
    [t.images, 'images in use'],
    [t.hosts, 'hosts'],
    [t.owners, 'owners'],
    ...SEVERITIES.filter((s) => (t.findingsBySeverity[s] ?? 0) > 0).map((s): [number, string] => [
      t.findingsBySeverity[s] ?? 0,
      `${s} findings`,
    ]),
    [t.policy, 'policy breaches'],
    [t.acknowledged, 'acknowledged'],
  ];
  return `<section><h2>Overview</h2><div class="tiles">${tiles
    .map(([n, label]) => `<div class="tile"><b>${text(n)}</b><span>${text(label)}</span></div>`)
    .join('')}</div></section>`;
}

function changes(model: ReportModel): string {
  const c = model.changes;
  if (!c.since)
    return '<section><h2>Since the previous cycle</h2><p class="muted">This is the first cycle reported; the next report will show what changed.</p></section>';
  const list = (label: string, keys: string[]): string =>
    keys.length === 0
      ? `<li>${text(label)}: none</li>`
      : `<li>${text(label)} (${keys.length}):<ul class="changes">${keys
          .slice(0, 50)
          .map((k) => `<li><code>${text(k)}</code></li>`)
          .join(
            '',
          )}${keys.length > 50 ? `<li class="muted">and ${keys.length - 50} more</li>` : ''}</ul></li>`;
  return `<section><h2>Since the previous cycle (${text(c.since)})</h2><ul class="changes">${[
    list('New findings', c.newFindings),
    list('Resolved findings', c.resolvedFindings),
    list('Images new in use', c.newImages),
    list('Images no longer running', c.goneImages),
  ].join('')}</ul></section>`;
}

function vulnerabilities(model: ReportModel): string {
  const rows = model.vulnerabilities.map((v) => [
    sev(v.severity),
    (() => {
      const href = v.link ? safeHref(v.link) : undefined;
      return href
        ? `<a href="${text(href)}" rel="noreferrer">${text(v.vulnerability)}</a>`
        : text(v.vulnerability);
    })(),
    `<code>${text(v.package)}</code> ${text(v.versions.join(', '))}`,
    v.fixedIn ? fixedVersion(v.fixedIn) : '<span class="muted">no fix yet</span>',
    v.images.map((i) => `${name(i.repository)}${ack(i.acknowledged)}`).join('<br>'),
  ]);
  return `<section><h2>Vulnerabilities in running images</h2>${table(
    ['Severity', 'Vulnerability', 'Package', 'Fixed in', 'Images'],
    rows,
    'No vulnerabilities found in the running images (or no scan has run yet).',
  )}</section>`;
}

function policy(model: ReportModel): string {
  const rows = model.policy.map((p) => [
    `<code>${text(p.rule)}</code>`,
    `${name(p.repository)}${ack(p.acknowledged)}`,
    text(p.owner),
    text(p.detail),
    text(p.remedy),
  ]);
  return `<section><h2>Policy breaches</h2>${table(
    ['Rule', 'Image', 'Owner', 'Detail', 'What to do'],
    rows,
    'No policy breaches.',
  )}</section>`;
}

function imageRow(i: ReportImage): string[] {
  return [
    name(i.repository),
    i.digest
      ? `<code class="nw">${text(i.digest.slice(0, 19))}</code>`
      : '<span class="muted">unresolved</span>',
    text(i.tags.join(', ')),
    `${text(i.hosts)}<br><span class="muted">${text(i.sampleHosts.slice(0, 3).join(', '))}</span>`,
    i.ageDays === undefined ? '<span class="muted">unknown</span>' : `${text(i.ageDays)} d`,
    text(i.findings),
  ];
}

function owners(model: ReportModel): string {
  const blocks = model.owners.map(
    (o) =>
      `<h3>${text(o.owner)} <span class="muted">(${o.images.length} image${o.images.length === 1 ? '' : 's'}, by ${text(o.images[0]?.ownerRule ?? '')})</span></h3>${table(
        ['Image', 'Digest', 'Tags', 'Hosts', 'Age', 'Findings'],
        o.images.map(imageRow),
        'No images.',
      )}`,
  );
  return `<section><h2>Images in use, by owner</h2>${blocks.join('') || '<p class="muted">No inventory yet.</p>'}</section>`;
}

function selinux(model: ReportModel): string {
  if (model.selinux.length === 0) return '';
  return `<section><h2>SELinux MCS findings</h2>${table(
    ['Severity', 'Check', 'Where', 'Detail'],
    model.selinux.map((s) => [
      sev(s.severity),
      `<code>${text(s.check)}</code>`,
      text(s.where),
      text(s.detail),
    ]),
    '',
  )}</section>`;
}

function acks(model: ReportModel): string {
  return `<section><h2>Acknowledged</h2>${table(
    ['Covers', 'Why', 'Who', 'Until'],
    model.acks.map((a) => [
      text(a.covers),
      text(a.reason),
      `${text(a.author)} <span class="muted">(${text(a.source)})</span>`,
      text(a.expiresAt),
    ]),
    'Nothing is acknowledged.',
  )}</section>`;
}

function runners(model: ReportModel): string {
  if (model.runners.length === 0) return '';
  return `<section><h2>Node runners (last reports)</h2>${table(
    ['Node', 'Finished', 'Status', 'Summary'],
    model.runners.map((r) => [
      text(r.node),
      text(r.finishedAt ?? 'unknown'),
      r.ok ? 'ok' : `<b>failed</b>${r.fatal ? `: ${text(r.fatal)}` : ''}`,
      text(
        Object.entries(r.summary)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' '),
      ),
    ]),
    '',
  )}</section>`;
}
