// `imagewarden serve-ack`: the ack handler on a local HTTP port (in AWS the same handler sits
// behind a Lambda function URL). Only /ack is served; bodies are capped.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/logger.ts';
import { type AckHandlerPorts, handleAckRequest } from './handler.ts';

const MAX_BODY = 16 * 1024;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new RangeError('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface AckServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startAckServer(
  ports: AckHandlerPorts & { logger: Logger },
  listen: { port: number; host: string },
): Promise<AckServer> {
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname !== '/ack') {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      const params = new URLSearchParams(url.searchParams);
      if (request.method === 'POST') {
        try {
          for (const [k, v] of new URLSearchParams(await readBody(request))) params.set(k, v);
        } catch {
          response.writeHead(413, { 'content-type': 'text/plain; charset=utf-8' }).end('body too large\n');
          return;
        }
      }
      const result = await handleAckRequest({ method: request.method ?? 'GET', params }, ports);
      response
        .writeHead(result.status, result.headers)
        .end(request.method === 'HEAD' ? undefined : result.body);
    })().catch((error: unknown) => {
      ports.logger.error({ err: error }, 'ack server request failed');
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
