// Turns a plan into messages: one per recipient per run, text + HTML, with List-Id, a stable
// Message-ID per (recipient, run) and one signed acknowledge link per finding.
import { createHash } from 'node:crypto';
import { DAY_MS } from '../../core/clock.ts';
import type { Finding } from '../../core/findings/Finding.ts';
import type { AckScope } from '../acks/Ack.ts';
import { newTokenId, signAckToken } from '../acks/token.ts';
import { oneLine } from './escape.ts';
import { validateHeaders } from './headers.ts';
import { renderHtml } from './renderHtml.ts';
import { renderText } from './renderText.ts';
import { type ComposedMessage, isFixable, type Plan, type PlannedItem } from './types.ts';
import { buildView, subjectFor } from './view.ts';

export interface ComposeOptions {
  from: string;
  runId: string;
  now: Date;
  /** Signed links; without a key the email explains how to acknowledge with the CLI or the file. */
  ack?: { baseUrl: string; hmacKey: string | Uint8Array; linkDays: number };
  tokenId?: () => string;
}

export function messageIdentity(recipient: string, runId: string, from: string, kind = 'digest') {
  const hash = createHash('sha256')
    .update(`${kind}|${recipient.toLowerCase()}|${runId}`)
    .digest('hex')
    .slice(0, 32);
  const domain = from.split('@')[1] ?? 'imagewarden.invalid';
  return {
    id: `${kind === 'digest' ? 'm' : 'u'}-${hash}`,
    messageId: `<${hash}.${kind}@imagewarden.${domain}>`,
  };
}

export function listId(from: string): string {
  return `imagewarden findings <findings.imagewarden.${from.split('@')[1] ?? 'invalid'}>`;
}

/** The ack scope a link in an email proposes: the finding's repository and vulnerability/rule/package. */
export function scopeForFinding(finding: Finding): AckScope | undefined {
  switch (finding.kind) {
    case 'vulnerability':
      return {
        repository: finding.repository,
        vulnerability: finding.vulnerability,
        package: finding.package.name,
      };
    case 'policy':
      return { repository: finding.repository, rule: finding.rule };
    default:
      return undefined;
  }
}

function ackUrl(item: PlannedItem, recipient: string, options: ComposeOptions): string | undefined {
  const scope = scopeForFinding(item.finding);
  if (!options.ack || !scope) return undefined;
  const token = signAckToken(
    {
      v: 1,
      id: (options.tokenId ?? newTokenId)(),
      scope,
      to: recipient,
      exp: Math.floor((options.now.getTime() + options.ack.linkDays * DAY_MS) / 1000),
      ...(item.finding.kind === 'vulnerability' ? { fix: isFixable(item.finding) } : {}),
    },
    options.ack.hmacKey,
  );
  return `${options.ack.baseUrl.replace(/\/+$/, '')}/ack?t=${token}`;
}

export function baseHeaders(from: string, runId: string): Record<string, string> {
  return {
    'List-Id': listId(from),
    'Auto-Submitted': 'auto-generated',
    'X-Auto-Response-Suppress': 'All',
    'X-Imagewarden-Run': oneLine(runId, 100),
  };
}

export function composeMessage(
  recipient: string,
  items: readonly PlannedItem[],
  options: ComposeOptions,
): ComposedMessage {
  const ackHelp = options.ack
    ? 'Acknowledge a finding with its link (you confirm on the page that opens), or add it to the acks file in git.'
    : 'To acknowledge a finding, add it to the acks file in git or ask for `imagewarden ack add`.';
  const view = buildView(
    recipient,
    items.map((item) => {
      const url = ackUrl(item, recipient, options);
      return url ? { ...item, ackUrl: url } : item;
    }),
    options.now.toISOString(),
    ackHelp,
  );
  const subject = oneLine(subjectFor(view), 250);
  const { id, messageId } = messageIdentity(recipient, options.runId, options.from);
  const message: ComposedMessage = {
    id,
    messageId,
    kind: 'digest',
    from: options.from,
    to: recipient,
    subject,
    text: renderText(view, subject),
    html: renderHtml(view, subject),
    headers: baseHeaders(options.from, options.runId),
    findings: items.map(({ finding, routedFrom }) => ({
      key: finding.key,
      severity: finding.severity,
      fixable: isFixable(finding),
      recipient: routedFrom ?? recipient,
    })),
    createdAt: options.now.toISOString(),
  };
  validateHeaders(message);
  return message;
}

/** One message per recipient; a recipient whose message cannot be composed is reported, not fatal. */
export function composeMessages(
  plan: Plan,
  options: ComposeOptions,
): { messages: ComposedMessage[]; invalid: { recipient: string; error: unknown }[] } {
  const messages: ComposedMessage[] = [];
  const invalid: { recipient: string; error: unknown }[] = [];
  for (const { recipient, items } of plan.recipients) {
    try {
      messages.push(composeMessage(recipient, items, options));
    } catch (error) {
      invalid.push({ recipient, error });
    }
  }
  return { messages, invalid };
}
