// `imagewarden report`: the last cycle as one self-contained HTML page (and `--json`), from the
// stored state: images in use by owner, findings by severity, policy breaches, acknowledgements,
// what changed since the previous cycle, and the node runners' last reports when present.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { systemClock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import { createStateStore } from '../../core/state/createStateStore.ts';
import { listStoredAcks } from '../../functions/acks/AckStore.ts';
import { loadInventory } from '../../functions/inventory/inventoryStore.ts';
import { fileAcksFromConfig } from '../../functions/notify/fromConfig.ts';
import { loadOpenFindings } from '../../functions/notify/loadFindings.ts';
import { buildReport } from '../../functions/report/buildReport.ts';
import type { ReportRunner } from '../../functions/report/ReportModel.ts';
import { renderReportHtml } from '../../functions/report/renderHtml.ts';
import { keepReport, previousReport } from '../../functions/report/reportStore.ts';
import { type CliContext, EXIT } from '../context.ts';

interface ReportFlags {
  config?: string;
  out: string;
  json?: boolean;
  runnerReport: string[];
}

/** The part of a node runner's last-run.json the report shows; the rest is ignored. */
const RunnerReportFile = z.object({
  node: z.string(),
  finishedAt: z.string().optional(),
  fatal: z.string().optional(),
  exitCode: z.number().optional(),
  sections: z.record(
    z.string(),
    z.object({
      ok: z.boolean(),
      summary: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    }),
  ),
});

function readRunnerReport(file: string): ReportRunner | string {
  try {
    const parsed = RunnerReportFile.parse(JSON.parse(readFileSync(file, 'utf8')));
    const summary: ReportRunner['summary'] = {};
    for (const [section, s] of Object.entries(parsed.sections))
      for (const [k, v] of Object.entries(s.summary)) summary[`${section}.${k}`] = v;
    return {
      node: parsed.node,
      ...(parsed.finishedAt ? { finishedAt: parsed.finishedAt } : {}),
      ok: parsed.fatal === undefined && (parsed.exitCode ?? 0) === 0,
      summary,
      ...(parsed.fatal ? { fatal: parsed.fatal } : {}),
    };
  } catch (error) {
    return `runner report ${file} was not read: ${errorMessage(error)}`;
  }
}

export function registerReportCommand(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description(
      'Write the report of the last cycle as one self-contained HTML page (no scripts, nothing from the ' +
        'network): images in use by owner with hosts and age, vulnerabilities by severity with fixed versions ' +
        'and the images they affect, policy breaches, acknowledgements with who, why and until when, what ' +
        'changed since the previous cycle, and node runners’ last reports. Exit 1 when there is no inventory yet.',
    )
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('-o, --out <dir>', 'directory of index.html', '.imagewarden/report')
    .option('--json', 'print the report model as JSON on stdout instead of writing HTML')
    .option(
      '--runner-report <file>',
      "a node runner's last-run.json to include (repeatable; default: runner.reportFile or <runner.stateDir>/last-run.json when it exists)",
      (value: string, list: string[]) => [...list, value],
      [] as string[],
    )
    .action(async (flags: ReportFlags) => {
      const { config } = ctx.loadConfig(flags.config);
      const logger = ctx.logger({ component: 'report' }, config.log.level);
      const store = createStateStore(config.state);
      const snapshot = await loadInventory(store);
      if (!snapshot) {
        ctx.stderr.write(
          'imagewarden report: no inventory in the state store yet; run `imagewarden run` first\n',
        );
        ctx.exitCode = EXIT.partial;
        return;
      }
      const now = systemClock.now();
      const notes: string[] = [];
      if (config.scan.reports)
        notes.push(
          `Vulnerabilities come from the Clair reports in ${config.scan.reports.dir}` +
            (config.scan.reports.dir.includes('examples/demo')
              ? ': SAMPLE DATA with synthetic SAMPLE-* ids, not real advisories.'
              : '.'),
        );
      const { findings, invalid } = await loadOpenFindings(store, logger);
      if (invalid > 0) notes.push(`${invalid} stored findings failed their schema and are not shown.`);
      const stored = await listStoredAcks(store, logger);
      const acks = [...stored.acks, ...(await fileAcksFromConfig(config, now))];
      const runnerFiles =
        flags.runnerReport.length > 0
          ? flags.runnerReport
          : [config.runner.reportFile ?? join(config.runner.stateDir, 'last-run.json')].filter((f) =>
              existsSync(f),
            );
      const runners: ReportRunner[] = [];
      for (const file of runnerFiles) {
        const read = readRunnerReport(file);
        if (typeof read === 'string') notes.push(read);
        else runners.push(read);
      }
      const model = buildReport({
        snapshot,
        findings,
        acks,
        runners,
        previous: await previousReport(store, snapshot.takenAt),
        now,
        notes,
      });
      await keepReport(store, model);
      if (flags.json) {
        ctx.stdout.write(`${JSON.stringify(model, null, 2)}\n`);
        return;
      }
      await mkdir(flags.out, { recursive: true });
      const file = join(flags.out, 'index.html');
      // written whole or not at all: a reader never opens half a page
      await writeFile(`${file}.tmp`, renderReportHtml(model), { mode: 0o644 });
      await rename(`${file}.tmp`, file);
      ctx.stdout.write(
        `report: ${model.totals.images} images, ${model.vulnerabilities.length} vulnerabilities, ` +
          `${model.totals.policy} policy breaches, ${model.acks.length} acknowledgements -> ${file}\n`,
      );
    });
}
