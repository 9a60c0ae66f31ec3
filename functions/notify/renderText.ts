// The text/plain part of a digest: the same content as the HTML part, readable in a terminal.
import type { Finding } from '../../core/findings/Finding.ts';
import { fixedVersion } from '../scan/fixedVersion.ts';
import { oneLine } from './escape.ts';
import { type ImageGroup, type MessageView, REASON_LABEL } from './view.ts';

function whereLine(group: ImageGroup): string {
  const { hostCount, sampleHosts, containers } = group.where;
  const sample = sampleHosts.slice(0, 3).map((h) => oneLine(h, 80));
  const more = hostCount > sample.length ? `, +${hostCount - sample.length} more` : '';
  return `runs on ${hostCount} host${hostCount === 1 ? '' : 's'}${sample.length > 0 ? ` (${sample.join(', ')}${more})` : ''}, ${containers} container${containers === 1 ? '' : 's'}`;
}

/** Through fixedVersion: findings stored before it was parsed may hold the OSV range query string. */
function fixLabel(raw: string | undefined): string {
  const fixed = fixedVersion(raw);
  return fixed ? oneLine(fixed, 60) : 'no fix yet';
}

function findingLines(finding: Finding): string[] {
  switch (finding.kind) {
    case 'vulnerability':
      return [
        `${finding.severity.toUpperCase()} ${oneLine(finding.vulnerability, 80)} in ${oneLine(finding.package.name, 80)} ${oneLine(finding.package.version, 60)} -> ${fixLabel(finding.fixedIn)}`,
        ...finding.links.slice(0, 2).map((l) => `  ${oneLine(l, 300)}`),
      ];
    case 'policy':
      return [
        `POLICY ${finding.rule}: ${oneLine(finding.detail, 200)}`,
        `  What to do: ${oneLine(finding.remedy, 300)}`,
      ];
    default:
      return [`SELINUX ${oneLine(finding.check, 80)}: ${oneLine(finding.detail, 300)}`];
  }
}

function groupText(group: ImageGroup): string[] {
  const lines = [`== ${oneLine(group.repository, 200)}`, `   ${whereLine(group)}`];
  if (group.digests.length > 0) lines.push(`   digest ${group.digests.slice(0, 2).join(', ')}`);
  for (const item of group.items) {
    const [first, ...rest] = findingLines(item.finding);
    lines.push(`  - [${REASON_LABEL[item.reason]}] ${first ?? ''}`);
    for (const l of rest) lines.push(`    ${l}`);
    if (item.ackUrl) lines.push(`    Acknowledge: ${item.ackUrl}`);
  }
  lines.push('');
  return lines;
}

export function renderText(view: MessageView, subject: string): string {
  const lines = [subject.replace(/^\[imagewarden\] /, ''), ''];
  if (view.changed.length > 0) {
    lines.push('NEW AND CHANGED', '');
    for (const group of view.changed) lines.push(...groupText(group));
  }
  if (view.reminders.length > 0) {
    lines.push('STILL OPEN (reminder)', '');
    for (const group of view.reminders) lines.push(...groupText(group));
  }
  lines.push(
    '--',
    `You get this because ${ruleText(view)}.`,
    view.ackHelp,
    `Sent by imagewarden at ${view.runAt}. Findings you acknowledge stay quiet until the acknowledgement expires.`,
  );
  return `${lines.join('\n')}\n`;
}

export function ruleText(view: MessageView): string {
  switch (view.rule) {
    case 'label':
      return `the images name you as owner (label ${oneLine(view.ruleDetail, 100)})`;
    case 'host-owner':
      return `you own the hosts these images run on (${oneLine(view.ruleDetail, 100)}) and the images name no owner`;
    default:
      return 'you are the security contact: these findings have no other owner, or concern node security';
  }
}
