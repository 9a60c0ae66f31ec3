// A Nivlheim API fake (the subset imagewarden uses): `GET /api/v2/hostlist?fields=...` and
// `GET /api/v2/host/<hostname>?fields=...` with `Authorization: APIKEY <key>`. Like Nivlheim,
// it answers 422 without `fields`, 403 for a wrong key, 404 for an unknown host, and silently
// leaves out hosts the key may not see. Anything else is recorded in `problems`.
import { createServer } from 'node:http';

export interface NivlheimHostRecord {
  hostname: string;
  ownerGroup: string | null;
  /** Keys allowed to see this host; all keys when absent. */
  visibleTo?: string[];
}

export interface NivlheimFake {
  url: string;
  requests: { path: string; authorization: string | undefined }[];
  problems: string[];
  /** The next response is forced to this status. */
  failNext(status: number): void;
  stop(): Promise<void>;
}

export async function startNivlheimFake(options: {
  apiKeys: string[];
  hosts: NivlheimHostRecord[];
}): Promise<NivlheimFake> {
  const requests: NivlheimFake['requests'] = [];
  const problems: string[] = [];
  const forced: number[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const authorization = req.headers.authorization;
    requests.push({ path: `${url.pathname}${url.search}`, authorization });
    const send = (status: number, body: unknown): void => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(text);
    };
    const status = forced.shift();
    if (status !== undefined) return send(status, { error: `forced ${status}` });
    const key = /^APIKEY (.+)$/.exec(authorization ?? '')?.[1];
    if (!key || !options.apiKeys.includes(key)) return send(403, 'Forbidden');
    const fields = url.searchParams.get('fields');
    if (req.method !== 'GET') {
      problems.push(`${req.method} ${url.pathname}`);
      return send(405, 'Method not allowed');
    }
    const visible = options.hosts.filter((h) => !h.visibleTo || h.visibleTo.includes(key));
    const pick = (h: NivlheimHostRecord): Record<string, unknown> =>
      Object.fromEntries(
        (fields ?? '')
          .split(',')
          .map((f) => [f, f === 'hostname' ? h.hostname : f === 'ownerGroup' ? h.ownerGroup : null]),
      );
    if (url.pathname === '/api/v2/hostlist') {
      if (!fields) return send(422, 'Missing or empty parameter: fields');
      const pattern = url.searchParams.get('hostname');
      const re = pattern
        ? new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`)
        : undefined;
      return send(200, visible.filter((h) => !re || re.test(h.hostname)).map(pick));
    }
    const one = /^\/api\/v2\/host\/([^/]+)$/.exec(url.pathname);
    if (one) {
      if (!fields) return send(422, 'Missing or empty parameter: fields');
      const host = visible.find((h) => h.hostname === decodeURIComponent(one[1] as string));
      return host ? send(200, pick(host)) : send(404, 'Not found');
    }
    problems.push(`unexpected ${req.method} ${url.pathname}`);
    return send(404, 'Not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    problems,
    failNext: (s) => void forced.push(s),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
