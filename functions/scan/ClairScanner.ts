// The Clair v4 adapter of the Scanner port: indexer, matcher and notifier endpoints over
// HTTP, with PSK (HS256 JWT) auth, per-call timeouts (a long one for the synchronous index
// POST) and jittered retries on 5xx and timeouts. 429 is never retried here: it is thrown as
// ThrottledError so the driver can lower its concurrency.
import type { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';
import { errorMessage, NotFoundError, UpstreamError, ValidationError } from '../../core/errors.ts';
import { shortLivedToken } from '../../core/jwt.ts';
import { type Logger, silentLogger } from '../../core/logger.ts';
import { retry } from '../../core/retry.ts';
import { retryable } from '../../core/retryable.ts';
import {
  ClairErrorBody,
  type ClairManifest,
  IndexReport,
  IndexStateBody,
  NotificationPage,
  parseVulnerabilityReport,
} from './ClairReports.ts';
import { IndexFailedError, IndexRejectedError, ThrottledError } from './errors.ts';
import type { IndexCheck, IndexOutcome, Scanner, VulnerabilityReportOutcome } from './Scanner.ts';

export interface ClairScannerOptions {
  url: string;
  /** The decoded PSK; when set every request carries a fresh short-lived HS256 JWT. */
  psk?: Uint8Array;
  issuer?: string;
  requestTimeoutMs?: number;
  /** The index POST is synchronous: big images take minutes. */
  indexTimeoutMs?: number;
  /** Attempts per call on 5xx and timeouts, including the first. */
  attempts?: number;
  retryBaseMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  clock?: Clock;
  logger?: Logger;
}

interface Sent {
  status: number;
  headers: Headers;
  text: string;
}

const TOKEN_REUSE_MS = 30_000;

export class ClairScanner implements Scanner {
  readonly #base: URL;
  readonly #host: string;
  readonly #o: Required<Omit<ClairScannerOptions, 'psk' | 'sleep' | 'random'>> &
    Pick<ClairScannerOptions, 'psk' | 'sleep' | 'random'>;
  #token: { value: string; at: number } | undefined;

  constructor(options: ClairScannerOptions) {
    this.#base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    this.#host = this.#base.host;
    this.#o = {
      issuer: 'imagewarden',
      requestTimeoutMs: 30_000,
      indexTimeoutMs: 600_000,
      attempts: 3,
      retryBaseMs: 500,
      fetch: globalThis.fetch,
      clock: systemClock,
      logger: silentLogger(),
      ...options,
    };
  }

  #authorization(): string | undefined {
    if (!this.#o.psk) return undefined;
    const now = this.#o.clock.now();
    // fresh per batch of requests: reuse for 30 s of the token's 60 s life
    if (!this.#token || now.getTime() - this.#token.at > TOKEN_REUSE_MS) {
      this.#token = { value: shortLivedToken(this.#o.issuer, this.#o.psk, now), at: now.getTime() };
    }
    return `Bearer ${this.#token.value}`;
  }

  async #send(
    method: string,
    path: string,
    options: { body?: string; headers?: Record<string, string>; timeoutMs?: number; retry?: boolean } = {},
  ): Promise<Sent> {
    const url = new URL(path, this.#base);
    const once = async (): Promise<Sent> => {
      const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
      const auth = this.#authorization();
      if (auth) headers.authorization = auth;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      let response: Response;
      let text: string;
      try {
        response = await this.#o.fetch(url, {
          method,
          headers,
          body: options.body,
          signal: AbortSignal.timeout(options.timeoutMs ?? this.#o.requestTimeoutMs),
        });
        text = await response.text();
      } catch (error) {
        const what = (error as Error)?.name === 'TimeoutError' ? 'timed out' : errorMessage(error);
        throw new UpstreamError(this.#host, `${method} ${url.pathname} ${what}`, { cause: error });
      }
      if (response.status === 429)
        throw new ThrottledError(this.#host, `${method} ${url.pathname}: 429 too many requests`, {
          status: 429,
        });
      if (response.status === 401 || response.status === 403)
        throw new UpstreamError(
          this.#host,
          `${method} ${url.pathname}: ${response.status}; check scan.clair.psk and issuer`,
          {
            status: response.status,
          },
        );
      if (response.status >= 500 && !(method === 'POST' && indexErrorReport(text)))
        throw new UpstreamError(
          this.#host,
          `${method} ${url.pathname}: ${response.status} ${clairMessage(text)}`,
          {
            status: response.status,
          },
        );
      return { status: response.status, headers: response.headers, text };
    };
    if (options.retry === false) return once();
    return retry(once, {
      attempts: this.#o.attempts,
      baseMs: this.#o.retryBaseMs,
      maxMs: 10_000,
      // 429 goes to the adaptive limit (scanInventory), which slows every digest down, not this loop
      retryable: (error) => !(error instanceof ThrottledError) && retryable(error),
      ...(this.#o.sleep ? { sleep: this.#o.sleep } : {}),
      ...(this.#o.random ? { random: this.#o.random } : {}),
      onRetry: (error, attempt, delayMs) =>
        this.#o.logger.warn(
          { host: this.#host, path: url.pathname, attempt, delayMs, err: errorMessage(error) },
          'clair call failed, retrying',
        ),
    });
  }

  #parse<T extends z.ZodType>(schema: T, sent: Sent, what: string): z.infer<T> {
    try {
      return schema.parse(JSON.parse(sent.text));
    } catch (error) {
      throw new ValidationError(
        `${this.#host} ${what}`,
        `unexpected response: ${errorMessage(error).slice(0, 300)}`,
        {
          cause: error,
        },
      );
    }
  }

  async indexState(): Promise<string> {
    const sent = await this.#send('GET', 'indexer/api/v1/index_state');
    if (sent.status !== 200) throw unexpected(this.#host, 'index_state', sent);
    const body = this.#parse(IndexStateBody, sent, 'index_state');
    return sent.headers.get('etag') ?? `"${body.state}"`;
  }

  async checkIndexReport(manifestHash: string, knownState: string | undefined): Promise<IndexCheck> {
    const sent = await this.#send('GET', `indexer/api/v1/index_report/${manifestHash}`, {
      headers: knownState ? { 'if-none-match': knownState } : {},
    });
    if (sent.status === 304) return { status: 'current', etag: sent.headers.get('etag') ?? knownState ?? '' };
    if (sent.status === 404) return { status: 'missing' };
    if (sent.status === 200) {
      const report = this.#parse(IndexReport, sent, 'index_report');
      // a report left in IndexError must be indexed again
      if (report.state !== 'IndexFinished') return { status: 'missing' };
      return { status: 'stale', etag: sent.headers.get('etag') ?? undefined };
    }
    throw unexpected(this.#host, 'index_report', sent);
  }

  async index(manifest: ClairManifest, options: { ifNoneMatch?: string } = {}): Promise<IndexOutcome> {
    const sent = await this.#send('POST', 'indexer/api/v1/index_report', {
      body: JSON.stringify(manifest),
      headers: options.ifNoneMatch ? { 'if-none-match': options.ifNoneMatch } : {},
      timeoutMs: this.#o.indexTimeoutMs,
    });
    const etag = sent.headers.get('etag') ?? undefined;
    if (sent.status === 412) return { status: 'unchanged', etag };
    if (sent.status === 400)
      throw new IndexRejectedError(
        `${this.#host} index_report`,
        `manifest refused: ${clairMessage(sent.text)}`,
      );
    if (sent.status >= 500) {
      const report = indexErrorReport(sent.text);
      throw new IndexFailedError(
        this.#host,
        `indexing ${manifest.hash} failed: ${report?.err || clairMessage(sent.text)}`,
        {
          status: sent.status,
        },
      );
    }
    if (sent.status !== 201 && sent.status !== 200) throw unexpected(this.#host, 'index_report', sent);
    const report = this.#parse(IndexReport, sent, 'index_report');
    if (report.state === 'IndexError' || report.err)
      throw new IndexFailedError(
        this.#host,
        `indexing ${manifest.hash} failed: ${report.err || report.state}`,
      );
    return { status: 'indexed', etag, report };
  }

  async vulnerabilityReport(manifestHash: string): Promise<VulnerabilityReportOutcome> {
    const sent = await this.#send('GET', `matcher/api/v1/vulnerability_report/${manifestHash}`);
    if (sent.status === 202) return { status: 'not-ready' };
    if (sent.status === 404) return { status: 'missing' };
    // the spec says 201, the server sends 200: accept any 2xx
    if (sent.status < 200 || sent.status >= 300) throw unexpected(this.#host, 'vulnerability_report', sent);
    let body: unknown;
    try {
      body = JSON.parse(sent.text);
      return { status: 'ready', report: parseVulnerabilityReport(body), maxAgeMs: maxAge(sent.headers) };
    } catch (error) {
      throw new ValidationError(
        `${this.#host} vulnerability_report`,
        `unreadable report: ${errorMessage(error).slice(0, 300)}`,
        {
          cause: error,
        },
      );
    }
  }

  async notificationPage(
    id: string,
    options: { pageSize: number; next?: string },
  ): Promise<NotificationPage> {
    const query = new URLSearchParams({ page_size: String(options.pageSize) });
    if (options.next) query.set('next', options.next);
    const sent = await this.#send('GET', `notifier/api/v1/notification/${encodeURIComponent(id)}?${query}`);
    if (sent.status === 404) throw new NotFoundError(`${this.#host}: notification ${id} not found`);
    if (sent.status !== 200) throw unexpected(this.#host, 'notification', sent);
    return this.#parse(NotificationPage, sent, 'notification');
  }

  async deleteNotification(id: string): Promise<void> {
    const sent = await this.#send('DELETE', `notifier/api/v1/notification/${encodeURIComponent(id)}`, {
      retry: false,
    });
    if (sent.status === 200 || sent.status === 204) return;
    throw new UpstreamError(
      this.#host,
      `DELETE notification ${id}: ${sent.status} ${clairMessage(sent.text)}`,
      {
        status: sent.status,
      },
    );
  }
}

function clairMessage(text: string): string {
  try {
    const body = ClairErrorBody.parse(JSON.parse(text));
    return [body.code, body.message].filter(Boolean).join(': ') || text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

function indexErrorReport(text: string): IndexReport | undefined {
  try {
    const parsed = IndexReport.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.state === 'IndexError' ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function unexpected(host: string, what: string, sent: Sent): UpstreamError {
  return new UpstreamError(host, `${what}: unexpected status ${sent.status} ${clairMessage(sent.text)}`, {
    status: sent.status,
  });
}

function maxAge(headers: Headers): number | undefined {
  const match = /max-age=(\d+)/.exec(headers.get('cache-control') ?? '');
  return match ? Number(match[1]) * 1000 : undefined;
}
