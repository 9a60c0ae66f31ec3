// The Scanner port: what the scan step needs from a vulnerability scanner. Adapters:
// ClairScanner (Clair v4 over HTTP; tests use it against the Clair fake) and ReportsDirScanner
// (Clair v4 reports exported to a directory, for air-gapped sites and the demo).
import type {
  ClairManifest,
  IndexReport,
  NotificationPage,
  ParsedVulnerabilityReport,
} from './ClairReports.ts';

/** Whether the scanner's stored index of a manifest is still good for its current state. */
export type IndexCheck =
  | { status: 'current'; etag: string }
  | { status: 'stale'; etag: string | undefined }
  | { status: 'missing' };

export type IndexOutcome =
  | { status: 'indexed'; etag: string | undefined; report: IndexReport }
  /** 412: the scanner says nothing changed since the state we sent. */
  | { status: 'unchanged'; etag: string | undefined };

export type VulnerabilityReportOutcome =
  | { status: 'ready'; report: ParsedVulnerabilityReport; maxAgeMs: number | undefined }
  /** 202: the vulnerability store has no data yet. */
  | { status: 'not-ready' }
  /** 404: no index report, or it is not finished. */
  | { status: 'missing' };

export interface Scanner {
  /**
   * `none`: the scanner reads finished reports keyed by the image's manifest digest (a reports
   * directory) and indexes nothing, so the scan step builds no manifest from the registry.
   * Unset or `manifest`: manifests are POSTed for indexing (Clair).
   */
  readonly indexing?: 'manifest' | 'none';
  /** The indexer state ETag; when it changes, manifests indexed before must be re-indexed. */
  indexState(): Promise<string>;
  checkIndexReport(manifestHash: string, knownState: string | undefined): Promise<IndexCheck>;
  /**
   * Indexes a manifest (synchronous; may take minutes). Throws IndexRejectedError (400),
   * ThrottledError (429), IndexFailedError (500 with an IndexError report), UpstreamError.
   */
  index(manifest: ClairManifest, options?: { ifNoneMatch?: string }): Promise<IndexOutcome>;
  vulnerabilityReport(manifestHash: string): Promise<VulnerabilityReportOutcome>;
  notificationPage(id: string, options: { pageSize: number; next?: string }): Promise<NotificationPage>;
  deleteNotification(id: string): Promise<void>;
}
