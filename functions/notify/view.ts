// The view model shared by the text and HTML renderings of one recipient's digest: findings
// grouped per image, changed ones first, reminders after.

import type { Finding, Where } from '../../core/findings/Finding.ts';
import type { OwnerRule } from '../../core/findings/ResolvedOwner.ts';
import { SEVERITY_RANK, type Severity } from '../../core/severity.ts';
import type { PlannedItem, Reason } from './types.ts';

export interface ItemView {
  finding: Finding;
  reason: Reason;
  ackUrl?: string;
}

export interface ImageGroup {
  repository: string;
  digests: string[];
  where: Where;
  items: ItemView[];
}

export interface MessageView {
  recipient: string;
  changed: ImageGroup[];
  reminders: ImageGroup[];
  /** Why this recipient gets these findings (first item's routing rule). */
  rule: OwnerRule;
  ruleDetail: string;
  ackHelp: string;
  runAt: string;
}

export const REASON_LABEL: Record<Reason, string> = {
  new: 'new',
  fixable: 'fix now available',
  escalated: 'severity raised',
  'ack-expired': 'acknowledgement ended',
  reminder: 'still open',
};

export function groupByImage(items: readonly ItemView[]): ImageGroup[] {
  const groups = new Map<string, ImageGroup>();
  for (const item of items) {
    const { repository } = item.finding;
    let group = groups.get(repository);
    if (!group) {
      group = { repository, digests: [], where: item.finding.where, items: [] };
      groups.set(repository, group);
    }
    for (const digest of item.finding.digests)
      if (!group.digests.includes(digest)) group.digests.push(digest);
    if (item.finding.where.hostCount > group.where.hostCount) group.where = item.finding.where;
    group.items.push(item);
  }
  const worst = (g: ImageGroup) => Math.max(...g.items.map((i) => SEVERITY_RANK[i.finding.severity]));
  return [...groups.values()].sort((a, b) => worst(b) - worst(a) || a.repository.localeCompare(b.repository));
}

export function buildView(
  recipient: string,
  items: readonly (PlannedItem & { ackUrl?: string })[],
  runAt: string,
  ackHelp: string,
): MessageView {
  const views = items.map(
    (i): ItemView => (i.ackUrl ? { ...i, ackUrl: i.ackUrl } : { finding: i.finding, reason: i.reason }),
  );
  const first = items[0]?.finding.recipient;
  return {
    recipient,
    changed: groupByImage(views.filter((i) => i.reason !== 'reminder')),
    reminders: groupByImage(views.filter((i) => i.reason === 'reminder')),
    rule: first?.rule ?? 'security-contact',
    ruleDetail: first?.detail ?? '',
    ackHelp,
    runAt,
  };
}

const SUBJECT_SEVERITIES: Severity[] = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'];

/** `[imagewarden] 3 new critical, 5 high, 1 policy issue in 2 images you own` */
export function subjectFor(view: MessageView): string {
  const changed = view.changed.flatMap((g) => g.items);
  const images = new Set([...view.changed, ...view.reminders].map((g) => g.repository)).size;
  const whose =
    view.rule === 'label'
      ? 'you own'
      : view.rule === 'host-owner'
        ? 'on hosts you own'
        : 'routed to security';
  const where = `in ${images} image${images === 1 ? '' : 's'} ${whose}`;
  if (changed.length === 0) {
    const open = view.reminders.reduce((n, g) => n + g.items.length, 0);
    return `[imagewarden] reminder: ${open} open finding${open === 1 ? '' : 's'} ${where}`;
  }
  const parts: string[] = [];
  const vulns = changed.filter((i) => i.finding.kind === 'vulnerability');
  for (const severity of SUBJECT_SEVERITIES) {
    const n = vulns.filter((i) => i.finding.severity === severity).length;
    if (n > 0) parts.push(`${n} ${severity.toLowerCase()}`);
  }
  const shown = parts.slice(0, 3);
  const rest = vulns.length - shown.reduce((n, p) => n + Number.parseInt(p, 10), 0);
  if (rest > 0) shown.push(`${rest} lower`);
  const policy = changed.filter((i) => i.finding.kind === 'policy').length;
  if (policy > 0) shown.push(`${policy} policy issue${policy === 1 ? '' : 's'}`);
  const selinux = changed.filter((i) => i.finding.kind === 'selinux').length;
  if (selinux > 0) shown.push(`${selinux} SELinux issue${selinux === 1 ? '' : 's'}`);
  return `[imagewarden] ${shown.length > 0 ? `${shown[0]?.replace(/^(\d+) /, '$1 new ')}` : ''}${shown.length > 1 ? `, ${shown.slice(1).join(', ')}` : ''} ${where}`;
}
