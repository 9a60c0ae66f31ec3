// Reading labels through pinned handles with one getfattr run: the handles are the child's
// descriptors 3, 4, ... and its working directory is its own /proc/self/fd (or the one
// directory itself when there is only one), so every name is looked up one component from a
// handle and none can lead outside it, whatever a tenant renames meanwhile. A directory's own
// label is read as `<fd>/.`.
import { parseAttrErrors, parseDump } from './attr-format.ts';
import { AttrToolError, runAttrTool, SELINUX_XATTR } from './attr-tool.ts';
import type { LabelRead, PinnedNames } from './LabelStore.ts';
import { MAX_PINNED_DIRS } from './pinned-dirs.ts';

const ABSENT: LabelRead = { kind: 'absent' };

export interface PinnedRun {
  /** Names as getfattr is given them, relative to `cwd`. */
  names: readonly string[];
  cwd: string;
  /** Descriptors the child inherits as 3, 4, ... */
  fds: readonly number[];
  /** Follow the last component: only for `/proc/self/fd/<n>` links to a pinned non-symlink. */
  follow: boolean;
}

/** One label per name, in order. */
export async function getfattrPinned(
  getfattr: string,
  run: PinnedRun,
  decode: (encoded: string) => LabelRead,
  signal?: AbortSignal,
): Promise<LabelRead[]> {
  if (run.fds.length > MAX_PINNED_DIRS)
    throw new AttrToolError(`${run.fds.length} handles for one getfattr; at most ${MAX_PINNED_DIRS}`);
  if (run.names.length === 0) return [];
  const outcome = await runAttrTool(
    getfattr,
    [
      ...(run.follow ? [] : ['-h']),
      '--absolute-names',
      '-n',
      SELINUX_XATTR,
      '-e',
      'text',
      '--',
      ...run.names,
    ],
    undefined,
    run.cwd,
    run.fds,
    signal,
  );
  // Killed (not by us: our own abort rejects): the last entry may be cut mid-label.
  if (outcome.signal !== null)
    throw new AttrToolError(`${getfattr} was killed by ${outcome.signal}; its output is incomplete`);
  // getfattr prints the names it read in the order it was given them, so a cursor finds each
  // one (no map of every name: a batch holds thousands). Errors (few) go by name.
  const results = new Array<LabelRead>(run.names.length);
  let cursor = 0;
  for (const entry of parseDump(outcome.stdout, SELINUX_XATTR)) {
    const from = cursor;
    while (cursor < run.names.length && run.names[cursor] !== entry.path) cursor++;
    if (cursor === run.names.length) cursor = from;
    else results[cursor++] = decode(entry.value);
  }
  const errors = parseAttrErrors(outcome.stderr, SELINUX_XATTR);
  if (errors.size > 0) {
    run.names.forEach((name, i) => {
      const message = errors.get(name);
      if (message !== undefined && results[i] === undefined)
        results[i] = /No such attribute|No data available/.test(message)
          ? ABSENT
          : { kind: 'error', message };
    });
  }
  // getfattr names every path it could not read on stderr; one it said nothing of has no label.
  for (let i = 0; i < results.length; i++) results[i] ??= ABSENT;
  return results;
}

/** Labels of names inside pinned directories (LabelStore.readPinned), no symlink followed. */
export async function readPinnedWithGetfattr(
  getfattr: string,
  groups: readonly PinnedNames[],
  decode: (encoded: string) => LabelRead,
  signal?: AbortSignal,
): Promise<LabelRead[][]> {
  // One directory: names relative to it, the cheapest lookups there are (as `getfattr -R` from
  // inside the tree). Several: `<fd>/<name>`, one more lookup in the child's fd table each.
  const single = groups.length === 1;
  const names = groups.flatMap((group, g) =>
    single ? [...group.names] : group.names.map((name) => `${3 + g}/${name}`),
  );
  const flat = await getfattrPinned(
    getfattr,
    {
      names,
      cwd: single ? '/proc/self/fd/3' : '/proc/self/fd',
      fds: groups.map((g) => g.dir.fd),
      follow: false,
    },
    decode,
    signal,
  );
  let at = 0;
  return groups.map((group) => {
    const part = flat.slice(at, at + group.names.length);
    at += group.names.length;
    return part;
  });
}
