// A real http.createServer on port 0 that answers registry requests from a route table and
// records every request; an unmatched request gets 599 and is reported by `unexpected`, so
// tests fail when the client asks for something the scenario did not plan.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen[]) => void;

export interface FakeServer {
  host: string;
  url: string;
  seen: Seen[];
  unexpected: Seen[];
  /** Requests whose path starts with `prefix`. */
  count(prefix: string, method?: string): number;
  close(): Promise<void>;
}

export async function startFake(routes: Record<string, Handler>): Promise<FakeServer> {
  const seen: Seen[] = [];
  const unexpected: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    seen.push(entry);
    const path = (req.url ?? '').split('?')[0] ?? '';
    const key = Object.keys(routes)
      .filter((route) => path.startsWith(route) || `${req.method} ${path}`.startsWith(route))
      .sort((a, b) => b.length - a.length)[0];
    const handler = key === undefined ? undefined : routes[key];
    if (handler === undefined) {
      unexpected.push(entry);
      res.writeHead(599).end();
      return;
    }
    handler(req, res, seen);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    seen,
    unexpected,
    count: (prefix, method) =>
      seen.filter((s) => s.url.startsWith(prefix) && (method === undefined || s.method === method)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers with JSON bytes and the given headers. */
export function send(
  res: ServerResponse,
  status: number,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  res.writeHead(status, { 'content-length': String(bytes.length), ...headers });
  res.end(bytes);
}
