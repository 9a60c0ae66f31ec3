// Clair notifications received by the webhook function, waiting to be processed. Clair writes
// its delivery receipt only after our 200, and a Lambda is frozen once it has answered, so
// the webhook cannot page and DELETE the notification itself (as `serve-webhook` does after
// responding). It records the notification here; the hourly inventory function processes the
// pending ones before it fans out the scans, and scanDigest then reads the reports of the
// images they marked again, so the next notify run has the new findings.
import { errorMessage } from '../../core/errors.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { NotifierWebhookBody } from './ClairReports.ts';
import { processNotification, type WebhookOptions, type WebhookPorts } from './notifications.ts';

export const PENDING_NOTIFICATIONS = 'clair-webhook-pending';

export async function recordPendingNotification(
  store: StateStore,
  notification: NotifierWebhookBody,
): Promise<void> {
  await store.put(PENDING_NOTIFICATIONS, notification.notification_id, notification);
}

export interface PendingResult {
  processed: number;
  marked: number;
  failed: number;
}

/** Processes every pending notification; a failed one stays pending for the next run. */
export async function processPendingNotifications(
  ports: WebhookPorts,
  options: WebhookOptions = {},
): Promise<PendingResult> {
  const out: PendingResult = { processed: 0, marked: 0, failed: 0 };
  for (const { key, value } of await ports.store.list<unknown>(PENDING_NOTIFICATIONS)) {
    const notification = NotifierWebhookBody.safeParse(value);
    if (!notification.success) {
      await ports.store.delete(PENDING_NOTIFICATIONS, key);
      continue;
    }
    try {
      const result = await processNotification(notification.data, ports, options);
      out.marked += result.marked;
      if (result.error) {
        out.failed++;
        continue;
      }
      out.processed++;
      await ports.store.delete(PENDING_NOTIFICATIONS, key);
    } catch (error) {
      out.failed++;
      ports.logger.warn(
        { notificationId: key, err: errorMessage(error) },
        'pending notification not processed',
      );
    }
  }
  return out;
}
