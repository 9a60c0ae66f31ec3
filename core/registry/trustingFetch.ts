// The registry client's fetch: trusts the default CAs, plus a private bundle when
// `registry.caFile` is set (the rest of the process, e.g. the AWS SDK, keeps the default store),
// and keeps connections alive across HEADs. Node's global fetch takes no CA option and, being
// undici, closes the connection after every HEAD (a guard against servers that send a body
// with one), so a warm pass's one HEAD per tag paid a TCP handshake each; node:http's Agent
// pools them. (npm undici's fetch, which takes a CA, is also 400 KB of every Lambda bundle.) It covers what RegistryTransport asks of fetch: a URL,
// method, headers and abort signal, `redirect: 'manual'` (the transport follows redirects
// itself, dropping credentials across origins), no request body; and it fails as fetch does
// (a TypeError "fetch failed" whose cause carries Node's code, e.g. a certificate's; the
// signal's reason on abort), so the transport's error mapping holds for both.
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';

/** Statuses whose response has no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** A fetch that trusts the default CAs plus `extraCas` (none: Node's default store). */
export function fetchTrusting(extraCas: readonly string[]): typeof fetch {
  // keep-alive pools connections per host; with no extra CA the agent is given none, so the
  // default store (with NODE_EXTRA_CA_CERTS) applies as it does to any other TLS client
  const agents = {
    'https:': new https.Agent({
      keepAlive: true,
      ...(extraCas.length > 0 ? { ca: [...rootCertificates, ...extraCas] } : {}),
    }),
    'http:': new http.Agent({ keepAlive: true }),
  };
  const trusting = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (typeof input !== 'string' && !(input instanceof URL))
      throw new TypeError('the registry fetch takes a URL, not a Request');
    if (init.body !== undefined && init.body !== null)
      throw new TypeError('the registry fetch sends no request body');
    if (init.redirect !== 'manual') throw new TypeError("the registry fetch needs redirect: 'manual'");
    const url = new URL(input);
    const agent = url.protocol === 'https:' || url.protocol === 'http:' ? agents[url.protocol] : undefined;
    if (!agent) throw new TypeError(`fetch failed: unsupported protocol ${url.protocol}`);
    return send(url, init, agent);
  };
  return trusting as typeof fetch;
}

function send(url: URL, init: RequestInit, agent: http.Agent): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers);
  // what Node's global fetch sends when the caller does not say
  if (!headers.has('accept')) headers.set('accept', '*/*');
  if (!headers.has('user-agent')) headers.set('user-agent', 'node');
  const plainHeaders: Record<string, string> = {};
  headers.forEach((value, name) => {
    plainHeaders[name] = value;
  });
  const signal = init.signal ?? undefined;
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method,
      agent,
      headers: plainHeaders,
    });
    let response: http.IncomingMessage | undefined;
    const onAbort = () => {
      // before the response: the promise rejects; during the body: the body stream errors
      const reason = signal?.reason;
      reject(reason);
      response?.destroy(reason);
      request.destroy(reason);
    };
    const done = () => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    request.once('error', (error) => {
      done();
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
    });
    request.once('response', (res) => {
      response = res;
      res.once('close', done);
      const status = res.statusCode ?? 0;
      const responseHeaders = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
        responseHeaders.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
      const bodiless = method === 'HEAD' || NULL_BODY.has(status);
      if (bodiless) res.resume();
      try {
        resolve(
          new Response(bodiless ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
            status,
            statusText: res.statusMessage ?? '',
            headers: responseHeaders,
          }),
        );
      } catch (error) {
        res.destroy();
        reject(new TypeError('fetch failed', { cause: error }));
      }
    });
    request.end();
  });
}
