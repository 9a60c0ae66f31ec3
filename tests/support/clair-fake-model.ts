// The state model of the Clair v4 fake (clair-fake.ts): its options, the vulnerability DB and
// package entries tests give it, the calls it counts, the index reports it stores, and the
// ClairFake handle tests inspect and steer.

export interface FakeVulnerability {
  name: string;
  normalizedSeverity: string;
  severity?: string;
  fixedIn?: string;
  description?: string;
  links?: string[];
}
export interface FakePackage {
  name: string;
  version: string;
}
export type ClairCall =
  | 'index_state'
  | 'get_index_report'
  | 'post_index_report'
  | 'delete_index_report'
  | 'vulnerability_report'
  | 'notification_get'
  | 'notification_delete'
  | 'layer_fetch'
  | 'unauthorized'
  /** index POSTs refused with 429 (not counted as post_index_report) */
  | 'throttled';

export interface ClairFakeOptions {
  psk?: Uint8Array;
  issuers?: string[];
  /** Index POSTs in flight before 429 (Clair's index_report_request_concurrency). */
  indexConcurrency?: number;
  latencyMs?: number;
  /** Vulnerability DB: package name -> vulnerabilities affecting every version of it. */
  vulnerabilities?: Record<string, FakeVulnerability[]>;
  /** Packages of a layer digest, for layers without packages.txt. */
  packagesByLayer?: Record<string, FakePackage[]>;
  reportMaxAgeSeconds?: number;
}

export interface Stored {
  report: Record<string, unknown>;
  packages: FakePackage[];
  state: string;
}

export interface ClairFake {
  url: string;
  calls: Record<ClairCall, number>;
  /** Index POST bodies received, in order. */
  posted: unknown[];
  reports: Map<string, Stored>;
  state: string;
  setState(state: string): void;
  /** While true the matcher answers 202 (no vulnerability data yet). */
  notReady: boolean;
  /** Rewrites a vulnerability report body before it is sent (bad-input tests). */
  rewriteReport?: (body: Record<string, unknown>) => unknown;
  /** Answer the next N calls of a type with this status before handling normally. */
  failNext(call: ClairCall, count: number, status: number): void;
  /** Creates a notification and POSTs the webhook to `target`; resolves with the webhook status. */
  notify(
    target: string,
    id: string,
    items: Array<{ manifest: string; vulnerability: string; severity?: string; reason?: string }>,
    /** `now`: the notifier's clock when it signs (tests on a manual clock). */
    options?: { receiptDelayMs?: number; psk?: Uint8Array; now?: Date },
  ): Promise<number>;
  notifications: Map<string, { items: unknown[]; receipt: boolean; deleted: boolean }>;
  /** Requests the fake does not understand (no such Clair route) and crashes of the fake. */
  unhandled: string[];
  stop(): Promise<void>;
}

/** Every call counter at zero. */
export const emptyCalls = (): Record<ClairCall, number> => ({
  index_state: 0,
  get_index_report: 0,
  post_index_report: 0,
  delete_index_report: 0,
  vulnerability_report: 0,
  notification_get: 0,
  notification_delete: 0,
  layer_fetch: 0,
  unauthorized: 0,
  throttled: 0,
});
