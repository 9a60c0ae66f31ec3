// A child process for multi-process state tests (run with `node --import tsx`):
//   lease <dir> <name> <ttlMs>            take a lease, print it, exit without releasing
//   write <dir> <collection> <prefix> <n> [rounds]  put records <prefix>-0..n-1, one at a
//                                          time, `rounds` times over (value: {writer, i, round})
// Real processes, because the file store's guarantees are about several of them.
import { FileStateStore } from '../../core/state/FileStateStore.ts';
import { processHolder } from '../../core/state/lease.ts';

const [command, dir, a, b, c, d] = process.argv.slice(2);
if (!dir) throw new Error('usage: state-child.ts lease|write <dir> ...');
const store = new FileStateStore(dir);
if (command === 'lease') {
  const lease = await store.acquireLease({ name: a ?? '', holder: processHolder('child'), ttlMs: Number(b) });
  process.stdout.write(`${JSON.stringify(lease ?? null)}\n`);
} else if (command === 'write') {
  for (let round = 0; round < Number(d ?? 1); round++) {
    for (let i = 0; i < Number(c); i++) await store.put(a ?? '', `${b}-${i}`, { writer: b, i, round });
  }
  process.stdout.write('done\n');
} else {
  throw new Error(`unknown command ${command}`);
}
