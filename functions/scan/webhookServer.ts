// `imagewarden serve-webhook`: a small HTTP server for Clair's notifier. It answers each POST
// as receiveNotification decides and, once the response is sent, processes the notification
// in the background (Clair's delivery receipt is written only after our 200). It does not
// start without the PSK (anyone reaching the port could otherwise post notifications), and a
// body over the limit is refused from its Content-Length or, without one, as soon as the
// bytes read pass the limit: it is never buffered whole.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, errorMessage } from '../../core/errors.ts';
import {
  type NotificationProcessed,
  processNotification,
  receiveNotification,
  type WebhookOptions,
  type WebhookPorts,
} from './notifications.ts';

/** Larger bodies are not notifier webhooks. */
export const MAX_BODY = 64 * 1024;

export interface WebhookServer {
  url: string;
  port: number;
  /** Resolves when every notification received so far has been processed. */
  drain(): Promise<NotificationProcessed[]>;
  close(): Promise<void>;
}

/** The body, or undefined once it is known to be over the limit (reading then stops). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.pause();
      resolve(undefined);
    };
    req.on('data', onData);
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** 413, then the connection is closed: the rest of the body is never read. */
function refuseTooLarge(res: ServerResponse): void {
  res.writeHead(413, { connection: 'close' }).end(() => res.socket?.destroy());
}

export async function startWebhookServer(
  ports: WebhookPorts,
  options: WebhookOptions & { port?: number; host?: string } = {},
): Promise<WebhookServer> {
  if (!options.psk || options.psk.byteLength === 0) {
    throw new ConfigError(
      'scan.clair.psk is required to serve the Clair webhook: without it anyone who reaches the port could post notifications',
    );
  }
  const work = new Set<Promise<NotificationProcessed>>();
  const done: NotificationProcessed[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      const body = await readBody(req);
      if (body === undefined) {
        refuseTooLarge(res);
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
      );
      const { response, notification } = await receiveNotification({ headers, body }, ports, options);
      res.writeHead(response.status, response.body ? { 'content-type': 'application/json' } : {});
      res.end(response.body, () => {
        if (!notification) return;
        const job = processNotification(notification, ports, options).then((result) => {
          done.push(result);
          return result;
        });
        work.add(job);
        void job.finally(() => work.delete(job));
      });
    })().catch((error: unknown) => {
      ports.logger.error({ err: errorMessage(error) }, 'webhook request failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    port,
    drain: async () => {
      while (work.size > 0) await Promise.allSettled([...work]);
      return [...done];
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.allSettled([...work]);
    },
  };
}
