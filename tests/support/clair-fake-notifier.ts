// The Notifier of the Clair v4 fake (clair-fake.ts): creating a notification and delivering
// its webhook (the receipt is recorded only after the webhook answered 200), paged GETs of a
// notification (one page_size per walk, as Clair expects) and DELETE, which fails with 500
// before the receipt exists.
import type { ServerResponse } from 'node:http';
import { shortLivedToken } from '../../core/jwt.ts';
import { error, send } from './clair-fake-http.ts';
import type { ClairFake, ClairFakeOptions } from './clair-fake-model.ts';

export interface Notifier {
  /** ClairFake.notify. */
  notify: ClairFake['notify'];
  /** GET notification/<id>. */
  get(res: ServerResponse, url: URL, id: string): void;
  /** DELETE notification/<id>. */
  delete(res: ServerResponse, id: string): void;
}

export function createNotifier(fake: ClairFake, options: ClairFakeOptions): Notifier {
  /** page_size of the last notification page served, per notification id. */
  const pageSizes = new Map<string, number>();
  return {
    notify: async (target, id, items, notifyOptions = {}) => {
      fake.notifications.set(id, {
        items: items.map((item, i) => ({
          id: String(i),
          manifest: item.manifest,
          reason: item.reason ?? 'added',
          vulnerability: {
            name: item.vulnerability,
            normalized_severity: item.severity ?? 'High',
            fixed_in_version: '',
          },
        })),
        receipt: false,
        deleted: false,
      });
      const psk = notifyOptions.psk ?? options.psk;
      const res = await fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(psk
            ? { authorization: `Bearer ${shortLivedToken('clair-notifier', psk, notifyOptions.now)}` }
            : {}),
        },
        body: JSON.stringify({
          notification_id: id,
          callback: `${fake.url}/notifier/api/v1/notification/${id}`,
        }),
      });
      await res.arrayBuffer();
      // only a 200 counts as delivered, and the receipt is written after the webhook returned
      if (res.status === 200) {
        const record = fake.notifications.get(id);
        setTimeout(() => {
          if (record) record.receipt = true;
        }, notifyOptions.receiptDelayMs ?? 50).unref();
      }
      return res.status;
    },
    get: (res, url, id) => {
      const path = url.pathname;
      const n = fake.notifications.get(id);
      if (!n || n.deleted) return error(res, 404, 'not-found', 'notification not found');
      const size = Number(url.searchParams.get('page_size') ?? 500);
      const start = Number(url.searchParams.get('next') ?? 0);
      // Clair's paging expects the same page_size on every call of one walk
      const walked = pageSizes.get(id);
      if (url.searchParams.has('next') && walked !== undefined && walked !== size)
        fake.unhandled.push(`GET ${path}: page_size ${size} after ${walked} within one walk`);
      pageSizes.set(id, size);
      const items = n.items.slice(start, start + size);
      const next = start + size < n.items.length ? String(start + size) : undefined;
      return send(res, 200, { page: { size, ...(next ? { next } : {}) }, notifications: items });
    },
    delete: (res, id) => {
      const n = fake.notifications.get(id);
      if (!n || n.deleted) return error(res, 404, 'not-found', 'notification not found');
      if (!n.receipt) return error(res, 500, 'internal-error', 'no delivery receipt for notification');
      n.deleted = true;
      return send(res, 200);
    },
  };
}
