// Human-readable lines of a prune result, for `runner node --dry-run` style output: what
// would go (or went) and why, what stayed and why in counts, and disk figures.
import type { PruneResult } from './prune.ts';

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatPrune(result: PruneResult): string {
  const lines: string[] = [];
  const line = (label: string, image: PruneResult['removed'][number]): string =>
    `${label} ${image.references[0] ?? image.id}  (${image.reason}: ${image.detail}; ${gib(image.size)})`;
  // PRUNE: would be removed (dry run); PRUNED: removed.
  for (const image of result.wouldRemove) lines.push(line('PRUNE ', image));
  for (const image of result.removed) lines.push(line('PRUNED', image));
  for (const refused of result.refused)
    lines.push(`KEPT   ${refused.id}  (daemon refused: ${refused.reason})`);
  for (const failed of result.failed) lines.push(`FAIL   ${failed.id}  (${failed.error})`);
  const kept = Object.entries(result.kept)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');
  lines.push(
    `prune: ${result.schedule.due ? 'retention prune due' : 'retention prune not due'} (${result.schedule.why}); ` +
      `disk ${result.diskBefore} % -> ${result.diskAfter} %; kept ${kept || 'nothing'}` +
      (result.watermarkUnreached ? `; ${result.watermarkUnreached}` : ''),
  );
  return `${lines.join('\n')}\n`;
}
