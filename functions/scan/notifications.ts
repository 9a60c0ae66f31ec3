// Clair's notifier webhook. Clair POSTs `{notification_id, callback}` and counts only a 200
// as delivered; its delivery receipt is written after our 200, so a DELETE sent from inside
// the request fails. Hence two halves: `receiveNotification` answers at once (verifying the
// notifier's JWT under PSK, deduping on notification_id), and `processNotification` runs
// afterwards: it pages through the notification, marks the affected in-use manifests for
// re-notification (collection `renotify`, key = manifest digest: the next scan reads that
// report again despite its Cache-Control and clears the mark; notify then mails what
// changed) and DELETEs the notification, retrying while Clair has no receipt yet.
import type { Clock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import { verifyHs256 } from '../../core/jwt.ts';
import type { Logger } from '../../core/logger.ts';
import { defaultSleep } from '../../core/retry.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { InventorySnapshot } from '../inventory/InventoryItem.ts';
import { NotifierWebhookBody } from './ClairReports.ts';
import type { Scanner } from './Scanner.ts';
import { SCAN_RESULTS, ScanResult } from './ScanResult.ts';

export const RENOTIFY = 'renotify';
export const CLAIR_NOTIFICATIONS = 'clair-notifications';

/** A `renotify/<manifest digest>` record: vulnerabilities Clair says changed for an in-use image. */
export interface RenotifyMark {
  manifest: string;
  digest: string;
  repository: string;
  notificationId: string;
  vulnerabilities: { name: string; reason: string; severity?: string }[];
  markedAt: string;
}

export interface WebhookRequest {
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: string;
}

export interface WebhookResponse {
  status: number;
  body: string;
}

export interface WebhookOptions {
  /** Decoded PSK; when set, the notifier's JWT must verify. */
  psk?: Uint8Array;
  issuers?: readonly string[];
  pageSize?: number;
  deleteAttempts?: number;
  deleteDelayMs?: number;
}

export interface WebhookPorts {
  scanner: Scanner;
  store: StateStore;
  clock: Clock;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
}

const reply = (status: number, body: unknown): WebhookResponse => ({ status, body: JSON.stringify(body) });

export async function receiveNotification(
  request: WebhookRequest,
  ports: Pick<WebhookPorts, 'store' | 'clock' | 'logger'>,
  options: WebhookOptions = {},
): Promise<{ response: WebhookResponse; notification?: NotifierWebhookBody }> {
  if (options.psk) {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    try {
      if (!match?.[1]) throw new Error('no bearer token');
      verifyHs256(match[1], options.psk, {
        issuers: options.issuers ?? ['clair-notifier'],
        // Clair's notifier always sets exp; a token without one would be replayable forever.
        requireExp: true,
        now: () => ports.clock.now(),
      });
    } catch (error) {
      ports.logger.warn({ err: errorMessage(error) }, 'notifier webhook refused');
      return { response: { status: 401, body: '' } };
    }
  }
  let body: NotifierWebhookBody;
  try {
    const parsed = NotifierWebhookBody.safeParse(JSON.parse(request.body));
    if (!parsed.success)
      return { response: reply(400, { code: 'bad-request', message: 'need notification_id and callback' }) };
    body = parsed.data;
  } catch {
    return { response: reply(400, { code: 'bad-request', message: 'body is not JSON' }) };
  }
  const fresh = await ports.store.putIfAbsent(CLAIR_NOTIFICATIONS, body.notification_id, {
    status: 'received',
    receivedAt: ports.clock.now().toISOString(),
  });
  if (!fresh) {
    ports.logger.info({ notificationId: body.notification_id }, 'duplicate notification ignored');
    return { response: reply(200, { duplicate: true }) };
  }
  return { response: reply(200, { accepted: true }), notification: body };
}

export interface NotificationProcessed {
  notificationId: string;
  pages: number;
  notifications: number;
  /** Manifests in use that were marked for re-notification. */
  marked: number;
  deleted: boolean;
  error?: string;
}

export async function processNotification(
  notification: NotifierWebhookBody,
  ports: WebhookPorts,
  options: WebhookOptions = {},
): Promise<NotificationProcessed> {
  const id = notification.notification_id;
  const log = ports.logger.child({ notificationId: id });
  const sleep = ports.sleep ?? defaultSleep;
  const out: NotificationProcessed = {
    notificationId: id,
    pages: 0,
    notifications: 0,
    marked: 0,
    deleted: false,
  };
  try {
    const inUse = await inUseManifests(ports.store);
    const marks = new Map<string, RenotifyMark>();
    const seen = new Set<string>();
    let next: string | undefined;
    do {
      const page = await ports.scanner.notificationPage(id, {
        pageSize: options.pageSize ?? 500,
        ...(next ? { next } : {}),
      });
      out.pages++;
      out.notifications += page.notifications.length;
      for (const n of page.notifications) {
        const use = inUse.get(n.manifest);
        if (!use) continue;
        const mark = marks.get(n.manifest) ?? {
          manifest: n.manifest,
          ...use,
          notificationId: id,
          vulnerabilities: [],
          markedAt: ports.clock.now().toISOString(),
        };
        mark.vulnerabilities.push({
          name: n.vulnerability?.name ?? 'unknown',
          reason: n.reason ?? 'added',
          ...(n.vulnerability?.normalized_severity ? { severity: n.vulnerability.normalized_severity } : {}),
        });
        marks.set(n.manifest, mark);
      }
      next = page.page.next ?? undefined;
      // a server that hands back the same token would loop forever
      if (next !== undefined && seen.has(next)) throw new Error(`notifier repeated page token ${next}`);
      if (next !== undefined) seen.add(next);
    } while (next !== undefined);
    for (const mark of marks.values()) {
      // a mark the notify step has not consumed yet keeps its vulnerabilities
      const earlier = await ports.store.get<RenotifyMark>(RENOTIFY, mark.manifest);
      if (earlier?.vulnerabilities) {
        const seenVulns = new Set(mark.vulnerabilities.map((v) => `${v.name}|${v.reason}`));
        mark.vulnerabilities.unshift(
          ...earlier.vulnerabilities.filter((v) => !seenVulns.has(`${v.name}|${v.reason}`)),
        );
      }
      await ports.store.put(RENOTIFY, mark.manifest, mark);
    }
    out.marked = marks.size;
    const attempts = options.deleteAttempts ?? 5;
    for (let attempt = 1; attempt <= attempts && !out.deleted; attempt++) {
      try {
        await ports.scanner.deleteNotification(id);
        out.deleted = true;
      } catch (error) {
        out.error = `delete failed: ${errorMessage(error)}`;
        if (attempt < attempts) await sleep((options.deleteDelayMs ?? 2000) * 2 ** (attempt - 1));
      }
    }
    if (out.deleted) delete out.error;
  } catch (error) {
    out.error = errorMessage(error);
  }
  await ports.store.put(CLAIR_NOTIFICATIONS, id, {
    status: out.error ? 'failed' : 'done',
    processedAt: ports.clock.now().toISOString(),
    ...out,
  });
  log[out.error ? 'warn' : 'info']({ ...out }, 'notification processed');
  return out;
}

/** Manifest digest -> the in-use image it belongs to, from the scan results of the latest inventory. */
async function inUseManifests(
  store: StateStore,
): Promise<Map<string, { digest: string; repository: string }>> {
  const snapshot = InventorySnapshot.safeParse(await store.get('inventory', 'latest'));
  const inventory = snapshot.success ? new Set(snapshot.data.items.map((i) => i.digest)) : undefined;
  const out = new Map<string, { digest: string; repository: string }>();
  for (const { value } of await store.list<unknown>(SCAN_RESULTS)) {
    const parsed = ScanResult.safeParse(value);
    if (!parsed.success) continue;
    const r = parsed.data;
    if (inventory && !inventory.has(r.digest)) continue;
    out.set(r.manifestHash ?? r.digest, { digest: r.digest, repository: r.repository });
    out.set(r.digest, { digest: r.digest, repository: r.repository });
  }
  return out;
}
