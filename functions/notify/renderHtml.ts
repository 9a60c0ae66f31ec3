// The text/html part of a digest. Email clients ignore <style> blocks and most CSS, so the
// layout is tables with inline styles; every outside value goes through escapeHtml.

import type { Finding } from '../../core/findings/Finding.ts';
import type { Severity } from '../../core/severity.ts';
import { fixedVersion } from '../scan/fixedVersion.ts';
import { escapeHtml as e, safeHref } from './escape.ts';
import { ruleText } from './renderText.ts';
import { type ImageGroup, type ItemView, type MessageView, REASON_LABEL } from './view.ts';

const SEVERITY_COLOR: Record<Severity, string> = {
  Critical: '#a40e26',
  High: '#cf222e',
  Medium: '#bc4c00',
  Low: '#7d4e00',
  Negligible: '#57606a',
  Unknown: '#57606a',
};

const REASON_COLOR: Record<ItemView['reason'], string> = {
  new: '#0969da',
  fixable: '#1a7f37',
  escalated: '#cf222e',
  'ack-expired': '#9a6700',
  reminder: '#57606a',
};

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const CELL = 'padding:6px 8px;border-top:1px solid #d8dee4;vertical-align:top;font-size:14px;line-height:1.4';

function badge(text: string, color: string): string {
  return `<span style="display:inline-block;padding:1px 6px;border-radius:10px;background:${color};color:#ffffff;font-size:12px;font-weight:600;white-space:nowrap">${e(text)}</span>`;
}

function link(url: string, text: string): string {
  const href = safeHref(url);
  return href ? `<a href="${e(href)}" style="color:#0969da">${e(text)}</a>` : e(text);
}

function findingCell(finding: Finding): string {
  switch (finding.kind) {
    case 'vulnerability': {
      const first = finding.links[0];
      const id = first ? link(first, finding.vulnerability) : e(finding.vulnerability);
      // through fixedVersion: findings stored before it was parsed may hold an OSV range query
      const fixed = fixedVersion(finding.fixedIn);
      const fix = fixed
        ? `<span style="color:#1a7f37;font-weight:600">${e(fixed)}</span>`
        : '<span style="color:#57606a">no fix yet</span>';
      return `<strong>${id}</strong><br><code style="font-size:13px">${e(finding.package.name)}</code> ${e(finding.package.version)} &rarr; ${fix}`;
    }
    case 'policy':
      return `<strong>${e(finding.title)}</strong><br>${e(finding.detail)}<br><span style="color:#1f2328"><strong>What to do:</strong> ${e(finding.remedy)}</span>`;
    default:
      return `<strong>${e(finding.check)}</strong><br>${e(finding.detail)}`;
  }
}

function row(item: ItemView): string {
  const { finding } = item;
  const ack = item.ackUrl ? link(item.ackUrl, 'Acknowledge') : '';
  return `<tr><td style="${CELL};width:90px">${badge(finding.severity, SEVERITY_COLOR[finding.severity])}</td>
<td style="${CELL}">${findingCell(finding)}<br><span style="color:${REASON_COLOR[item.reason]};font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.03em">${e(REASON_LABEL[item.reason])}</span></td>
<td style="${CELL};width:100px;text-align:right">${ack}</td></tr>`;
}

function whereText(group: ImageGroup): string {
  const { hostCount, sampleHosts, containers } = group.where;
  const sample = sampleHosts.slice(0, 3);
  const more = hostCount > sample.length ? `, +${hostCount - sample.length} more` : '';
  return `Runs on ${hostCount} host${hostCount === 1 ? '' : 's'}${sample.length > 0 ? ` (${e(sample.join(', '))}${more})` : ''}, ${containers} container${containers === 1 ? '' : 's'}`;
}

function groupHtml(group: ImageGroup): string {
  const digest = group.digests[0]
    ? `<br><code style="font-size:12px;color:#57606a">${e(group.digests[0])}</code>`
    : '';
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border:1px solid #d0d7de;border-radius:6px;margin:0 0 16px 0;border-collapse:separate">
<tr><td colspan="3" style="padding:10px 8px;background:#f6f8fa;font-size:15px"><strong style="word-break:break-all">${e(group.repository)}</strong>${digest}<br><span style="color:#57606a;font-size:13px">${whereText(group)}</span></td></tr>
${group.items.map(row).join('\n')}
</table>`;
}

function section(title: string, groups: ImageGroup[]): string {
  if (groups.length === 0) return '';
  return `<h2 style="${FONT};font-size:17px;margin:24px 0 8px 0;color:#1f2328">${e(title)}</h2>\n${groups.map(groupHtml).join('\n')}`;
}

export function renderHtml(view: MessageView, subject: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(subject)}</title></head>
<body style="margin:0;padding:0;background:#ffffff">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:16px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:760px;${FONT};color:#1f2328">
<tr><td style="padding:0 0 8px 0;border-bottom:3px solid #1f6feb"><span style="font-size:13px;color:#57606a">imagewarden</span><br><span style="font-size:20px;font-weight:600">${e(subject.replace(/^\[imagewarden\] /, ''))}</span></td></tr>
<tr><td>
${section('New and changed', view.changed)}
${section('Still open (reminder)', view.reminders)}
</td></tr>
<tr><td style="padding:16px 0;border-top:1px solid #d8dee4;font-size:12px;color:#57606a;line-height:1.5">
You get this because ${e(ruleText(view))}.<br>${e(view.ackHelp)}<br>Sent by imagewarden at ${e(view.runAt)}.
</td></tr></table></td></tr></table></body></html>
`;
}
