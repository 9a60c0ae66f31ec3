// `imagewarden ref <reference>`: show how imagewarden reads an image string, so users can
// debug the references their workloads and hosts report.
import type { Command } from 'commander';
import { familiarString, formatImageReference, tryParseImageReference } from '../../core/image-reference.ts';
import { type CliContext, EXIT } from '../context.ts';

export function registerRefCommand(program: Command, ctx: CliContext): void {
  program
    .command('ref')
    .description('Parse and normalise an image reference; exit 2 with the reason when it is invalid.')
    .argument(
      '<reference>',
      'an image reference, e.g. nginx:1.27 or registry.example:5000/team/app@sha256:...',
    )
    .option('--json', 'print JSON')
    .action((input: string, options: { json?: boolean }) => {
      const parsed = tryParseImageReference(input);
      if (!parsed.ok) {
        if (options.json)
          ctx.stdout.write(`${JSON.stringify({ input, valid: false, error: parsed.error.message })}\n`);
        else ctx.stderr.write(`imagewarden: ${parsed.error.message}\n`);
        ctx.exitCode = EXIT.usage;
        return;
      }
      const { ref } = parsed;
      const view = {
        input,
        valid: true,
        domain: ref.domain,
        path: ref.path,
        tag: ref.tag ?? null,
        digest: ref.digest ?? null,
        name: ref.name,
        canonical: formatImageReference(ref),
        familiar: familiarString(ref),
      };
      if (options.json) {
        ctx.stdout.write(`${JSON.stringify(view)}\n`);
        return;
      }
      for (const [key, value] of Object.entries(view)) {
        if (key === 'valid' || key === 'input') continue;
        ctx.stdout.write(`${key.padEnd(10)} ${value ?? '-'}\n`);
      }
    });
}
