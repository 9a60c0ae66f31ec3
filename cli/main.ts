// Process entry point of the `imagewarden` command.
import { processContext } from './context.ts';
import { runCli } from './program.ts';

const controller = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => controller.abort(new Error(`received ${signal}`)));
}
const code = await runCli(process.argv.slice(2), processContext(controller.signal));
process.exitCode = code;
