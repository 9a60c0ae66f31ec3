// Stack traces of the Lambda bundles name the TypeScript sources, through the source map
// shipped beside each bundle (index.mjs.map), read only when a stack is first formatted.
// Node's --enable-source-maps does the same mapping but reads and indexes the whole map
// while the bundle loads: about 30 ms of every cold start (a fifth of the ack function's
// import, measured by `npm run bench -- lambda`), paid even by the runs that never throw.
// Node's own SourceMap class (node:module) parses the map; V8's stack-trace hook formats.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

type PrepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => unknown;

/** Reads `<bundle>.map` once, on first use; undefined when it is missing or unreadable. */
function lazyMap(bundlePath: string): () => SourceMap | undefined {
  let map: SourceMap | undefined;
  let tried = false;
  return () => {
    if (!tried) {
      tried = true;
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${bundlePath}.map`, 'utf8')));
      } catch {
        map = undefined;
      }
    }
    return map;
  };
}

interface Entry {
  originalSource?: string;
  originalLine?: number;
  originalColumn?: number;
  name?: string;
}

/** Where `frame` is in the sources, when it is in the bundle and the map knows the spot. */
function entryOf(
  frame: NodeJS.CallSite | undefined,
  bundle: string,
  map: () => SourceMap | undefined,
): Entry | undefined {
  if (!frame) return undefined;
  const file = frame.getFileName();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  if ((file !== bundle && file !== `file://${bundle}`) || line === null || column === null) return undefined;
  const entry = map()?.findEntry(line - 1, column - 1) as Entry | undefined;
  return entry?.originalSource !== undefined && entry.originalLine !== undefined ? entry : undefined;
}

/**
 * One frame as V8 prints it, with a position in the bundle replaced by the source's. The
 * function's name is the one its caller called it by (the caller's mapped position), as
 * Node's own source-map support names it: the bundle's are minified.
 */
function formatFrame(
  frames: NodeJS.CallSite[],
  index: number,
  bundle: string,
  bundleDir: string,
  map: () => SourceMap | undefined,
): string {
  const frame = frames[index] as NodeJS.CallSite;
  const entry = entryOf(frame, bundle, map);
  if (!entry?.originalSource || entry.originalLine === undefined) return `    at ${String(frame)}`;
  const source = entry.originalSource.startsWith('file://')
    ? fileURLToPath(entry.originalSource)
    : resolve(bundleDir, entry.originalSource);
  const where = `${source}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
  const name = entryOf(frames[index + 1], bundle, map)?.name ?? frame.getFunctionName();
  return `    at ${frame.isAsync() ? 'async ' : ''}${name ? `${name} (${where})` : where}`;
}

/**
 * Installs the mapping for the bundle at `bundleUrl` (the caller's `import.meta.url`) as V8's
 * stack-trace hook (replacing Node's default formatter, which prints frames the same way). Does
 * nothing when Node maps stacks itself (--enable-source-maps); run from the TypeScript sources
 * there is no map beside the file, and frames stay as they are.
 */
export function mapStacksLazily(bundleUrl: string, execArgv: readonly string[] = process.execArgv): boolean {
  const nodeOptions = process.env.NODE_OPTIONS ?? '';
  if (execArgv.includes('--enable-source-maps') || nodeOptions.includes('--enable-source-maps')) return false;
  if (!bundleUrl.startsWith('file:')) return false;
  const bundle = fileURLToPath(bundleUrl);
  const bundleDir = dirname(bundle);
  const map = lazyMap(bundle);
  const prepare: PrepareStackTrace = (error, frames) => {
    let header: string;
    try {
      header = Error.prototype.toString.call(error);
    } catch {
      header = 'Error';
    }
    return [header, ...frames.map((_, i) => formatFrame(frames, i, bundle, bundleDir, map))].join('\n');
  };
  Error.prepareStackTrace = prepare;
  return true;
}
