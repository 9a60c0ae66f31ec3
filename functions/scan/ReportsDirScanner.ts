// A Scanner that reads Clair v4 VulnerabilityReport JSON files from a directory instead of
// asking a Clair: for air-gapped sites that export reports from a Clair elsewhere, and for the
// demo. One file per manifest digest, named `sha256:<hex>.json` or `sha256-<hex>.json` (the
// second form for file systems and archives that refuse ':'). The report goes through the same
// parsing (parseVulnerabilityReport) and findings as the Clair adapter's.
//
// There is nothing to index: the scan step asks `indexing` and reads the report by the image's
// digest without building a manifest from the registry (see scanDigest).
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, ValidationError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { type ClairManifest, type NotificationPage, parseVulnerabilityReport } from './ClairReports.ts';
import type { IndexCheck, IndexOutcome, Scanner, VulnerabilityReportOutcome } from './Scanner.ts';

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Thrown when a digest's report file is missing, unreadable, malformed or for another digest. */
export class ReportFileError extends ValidationError {
  override name = 'ReportFileError';
}

export interface ReportsDirScannerOptions {
  dir: string;
  logger: Logger;
}

export class ReportsDirScanner implements Scanner {
  readonly indexing = 'none' as const;
  private readonly dir: string;
  private readonly logger: Logger;

  constructor(options: ReportsDirScannerOptions) {
    this.dir = options.dir;
    this.logger = options.logger.child({ scanner: 'reports-dir', dir: options.dir });
  }

  /** Changes whenever a report file is added, removed or rewritten, so stored results are re-read. */
  async indexState(): Promise<string> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json')).sort();
    } catch (error) {
      throw new ReportFileError('scan.reports.dir', `cannot read ${this.dir}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    const hash = createHash('sha256');
    for (const name of names) {
      const info = await stat(join(this.dir, name)).catch(() => undefined);
      hash.update(`${name}\0${info?.size ?? -1}\0${info?.mtimeMs ?? -1}\n`);
    }
    return `reports-dir:${hash.digest('hex').slice(0, 32)}`;
  }

  async checkIndexReport(manifestHash: string, knownState: string | undefined): Promise<IndexCheck> {
    const file = await this.find(manifestHash);
    if (!file) return { status: 'missing' };
    return { status: 'current', etag: knownState ?? (await this.indexState()) };
  }

  /** Nothing to index; answers whether the report is there, as an indexer that already has it. */
  async index(manifest: ClairManifest): Promise<IndexOutcome> {
    if (!(await this.find(manifest.hash))) throw this.missing(manifest.hash);
    return { status: 'unchanged', etag: undefined };
  }

  async vulnerabilityReport(manifestHash: string): Promise<VulnerabilityReportOutcome> {
    if (!DIGEST.test(manifestHash))
      throw new ReportFileError(this.dir, `not a sha256 manifest digest: ${JSON.stringify(manifestHash)}`);
    const file = await this.find(manifestHash);
    if (!file) throw this.missing(manifestHash);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ReportFileError(file, `cannot read: ${errorMessage(error)}`, { cause: error });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new ReportFileError(file, `not valid JSON: ${errorMessage(error)}`, { cause: error });
    }
    let report: ReturnType<typeof parseVulnerabilityReport>;
    try {
      report = parseVulnerabilityReport(body);
    } catch (error) {
      throw new ReportFileError(
        file,
        `not a Clair v4 vulnerability report (an object with manifest_hash): ${errorMessage(error)}`,
        { cause: error },
      );
    }
    if (report.manifestHash !== manifestHash)
      throw new ReportFileError(
        file,
        `the report of ${report.manifestHash}, not of ${manifestHash}; a file is named after the manifest digest its report is for`,
      );
    this.logger.debug({ digest: manifestHash, file }, 'report read from file');
    return { status: 'ready', report, maxAgeMs: undefined };
  }

  async notificationPage(): Promise<NotificationPage> {
    throw new ReportFileError(
      this.dir,
      'a reports directory has no notifier (scan.reports.dir sends no notifications)',
    );
  }

  async deleteNotification(): Promise<void> {
    throw new ReportFileError(
      this.dir,
      'a reports directory has no notifier (scan.reports.dir sends no notifications)',
    );
  }

  private missing(manifestHash: string): ReportFileError {
    return new ReportFileError(
      this.dir,
      `no report for ${manifestHash} (expected ${manifestHash}.json or ${manifestHash.replace(':', '-')}.json)`,
    );
  }

  private async find(manifestHash: string): Promise<string | undefined> {
    if (!DIGEST.test(manifestHash)) return undefined;
    for (const name of [`${manifestHash}.json`, `${manifestHash.replace(':', '-')}.json`]) {
      const file = join(this.dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info?.isFile()) return file;
    }
    return undefined;
  }
}
