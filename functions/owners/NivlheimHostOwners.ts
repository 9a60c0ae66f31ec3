// HostOwnerDirectory backed by Nivlheim (USIT's host inventory). One
// `GET /api/v2/hostlist?fields=hostname,ownerGroup` per run with `Authorization: APIKEY <key>`;
// Nivlheim has no email field, so each ownerGroup is mapped to an address by config. Hosts the
// key cannot see are silently missing from the list: they fall through to the next rule.
import { z } from 'zod';
import { AuthError, NotFoundError, UpstreamError, ValidationError } from '../../core/errors.ts';
import { retry } from '../../core/retry.ts';
import { retryable } from '../../core/retryable.ts';
import type { HostOwner, HostOwnerDirectory } from './HostOwnerDirectory.ts';

export const NivlheimHost = z.object({
  hostname: z.string().min(1),
  ownerGroup: z.string().nullish(),
});
export type NivlheimHost = z.infer<typeof NivlheimHost>;

export const NivlheimHostList = z.array(NivlheimHost);
export type NivlheimHostList = z.infer<typeof NivlheimHostList>;

export interface NivlheimOptions {
  url: string;
  apiKey: string;
  /** ownerGroup -> address. */
  groups: Record<string, string>;
  requestTimeoutMs: number;
  retries?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export class NivlheimHostOwners implements HostOwnerDirectory {
  readonly name = 'nivlheim';
  readonly #options: NivlheimOptions;
  #hosts: Promise<Map<string, string | undefined>> | undefined;
  /** Groups seen in Nivlheim with no address configured (reported by the caller). */
  readonly unmappedGroups = new Set<string>();

  constructor(options: NivlheimOptions) {
    this.#options = options;
  }

  async lookup(hosts: readonly string[], signal?: AbortSignal): Promise<Map<string, HostOwner>> {
    this.#hosts ??= this.#fetchList(signal);
    const list = await this.#hosts;
    const out = new Map<string, HostOwner>();
    for (const host of hosts) {
      const group = list.get(host.toLowerCase());
      if (group === undefined) continue;
      const address = this.#options.groups[group];
      if (address === undefined) {
        this.unmappedGroups.add(group);
        continue;
      }
      out.set(host, { address, detail: `nivlheim group ${group}` });
    }
    return out;
  }

  async #fetchList(signal?: AbortSignal): Promise<Map<string, string | undefined>> {
    const url = new URL('/api/v2/hostlist', this.#options.url);
    url.searchParams.set('fields', 'hostname,ownerGroup');
    const host = url.host;
    const body = await retry(() => this.#get(url, host, signal), {
      attempts: (this.#options.retries ?? 2) + 1,
      baseMs: 500,
      maxMs: 5000,
      retryable,
      ...(this.#options.sleep ? { sleep: this.#options.sleep } : {}),
      ...(signal ? { signal } : {}),
    });
    const parsed = NivlheimHostList.safeParse(body);
    if (!parsed.success) {
      throw new ValidationError(`${host} hostlist`, parsed.error.issues[0]?.message ?? 'unexpected shape', {
        cause: parsed.error,
      });
    }
    return new Map(parsed.data.map((h) => [h.hostname.toLowerCase(), h.ownerGroup ?? undefined]));
  }

  async #get(url: URL, host: string, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.#options.requestTimeoutMs);
    let response: Response;
    try {
      response = await (this.#options.fetch ?? fetch)(url, {
        headers: { Authorization: `APIKEY ${this.#options.apiKey}`, Accept: 'application/json' },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      throw new UpstreamError(host, `hostlist request failed: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text().catch(() => '');
    const status = response.status;
    if (status === 401 || status === 403) {
      throw new AuthError(host, `hostlist refused the API key (HTTP ${status})`, { status });
    }
    if (status === 404)
      throw new NotFoundError(`${host}: hostlist endpoint not found (HTTP 404): is the url right?`);
    if (status === 422) {
      throw new ValidationError(`${host} hostlist`, `rejected the query (HTTP 422): ${text.slice(0, 200)}`);
    }
    if (status !== 200) throw new UpstreamError(host, `hostlist answered HTTP ${status}`, { status });
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ValidationError(`${host} hostlist`, 'response is not JSON', { cause: error });
    }
  }
}
