// A loopback HTTP proxy in front of a test registry that records every request (method,
// path, status), so tests can assert what a client actually sent: "a warm run makes no
// manifest GETs", "a digest-pinned image costs no request". Image references use the
// proxy's host, so the runner's HEADs and dockerd's pulls both pass through it.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  path: string;
  status: number;
}

export interface CountingProxy {
  /** `127.0.0.1:PORT` of the proxy. */
  host: string;
  url: string;
  requests: ProxiedRequest[];
  reset(): void;
  stop(): Promise<void>;
}

export async function startCountingProxy(target: { host: string }): Promise<CountingProxy> {
  const [targetHost, targetPort] = target.host.split(':');
  const requests: ProxiedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const entry: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', status: 0 };
    requests.push(entry);
    const upstream = request(
      {
        host: targetHost,
        port: Number(targetPort),
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (upstreamRes) => {
        entry.status = upstreamRes.statusCode ?? 0;
        // rewrite absolute Location headers (upload URLs) so clients stay on the proxy
        const headers = { ...upstreamRes.headers };
        if (typeof headers.location === 'string') {
          headers.location = headers.location.replace(`//${target.host}`, `//${address}`);
        }
        res.writeHead(upstreamRes.statusCode ?? 502, headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      entry.status = 502;
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: address,
    url: `http://${address}`,
    requests,
    reset: () => {
      requests.length = 0;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
