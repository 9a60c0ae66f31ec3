// A Lambda function URL in front of a packaged handler, for services that call it over HTTP
// (Clair's notifier delivering its webhook): each request becomes a payload format 2.0 event
// as function URLs build it (lower-cased headers, the body base64-encoded unless it is text),
// the handler is invoked through `invoke`, and its { statusCode, headers, body } answer is the
// HTTP response. A handler that throws is answered 502, as a function URL does.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Invocation } from './lambda-package.ts';

export interface FunctionUrl {
  url: string;
  /** The events the function received, in order. */
  events: unknown[];
  stop(): Promise<void>;
}

const TEXT = /^(text\/|application\/(json|x-www-form-urlencoded|xml))/;

export async function startFunctionUrl(
  invoke: (event: unknown) => Promise<Invocation>,
): Promise<FunctionUrl> {
  const events: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://function-url');
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers))
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
      const body = Buffer.concat(chunks);
      const text = TEXT.test(headers['content-type'] ?? '');
      const now = new Date();
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers: { ...headers, host: 'abc123.lambda-url.eu-north-1.on.aws', 'x-forwarded-proto': 'https' },
        requestContext: {
          accountId: 'anonymous',
          apiId: 'abc123',
          domainName: 'abc123.lambda-url.eu-north-1.on.aws',
          http: {
            method: req.method ?? 'GET',
            path: url.pathname,
            protocol: 'HTTP/1.1',
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            userAgent: headers['user-agent'] ?? '',
          },
          requestId: `url-${events.length + 1}`,
          routeKey: '$default',
          stage: '$default',
          time: now.toUTCString(),
          timeEpoch: now.getTime(),
        },
        ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
        isBase64Encoded: body.length > 0 && !text,
      };
      events.push(event);
      invoke(event).then(
        ({ result }) => {
          const answer = result as
            | { statusCode?: number; headers?: Record<string, string>; body?: string }
            | undefined;
          if (!answer) return res.writeHead(502).end('Internal Server Error');
          res.writeHead(answer.statusCode ?? 200, answer.headers ?? {}).end(answer.body ?? '');
        },
        (error: unknown) => res.writeHead(502).end(String(error)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    events,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
