// Leases on the local disk, for FileStateStore (the notify run, outbox message claims) and for
// its own cross-process lock around writes to a collection. Each lease is a directory of
// generation files `<n>.json` ({holder, token, pid, hostname, expiresAt, released?}); the
// highest generation is the lease's state. Taking a free, released or stale lease means
// creating generation n+1 with O_EXCL, so of several processes racing for it exactly one
// wins, with no window where a stale lock is removed and a live one removed by mistake (the
// flaw of "delete the stale lock file, then create it" schemes). A lease is stale when its
// time ran out, or when its holder ran on this host and its pid is gone (a SIGKILLed run
// blocks nobody). Releasing takes the next generation as a "released" marker, so the highest
// generation never goes away. Older generations are deleted by whoever moves past them.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type Clock, systemClock } from '../clock.ts';
import { assertLeaseRequest, type Lease, type LeaseRequest } from './lease.ts';

interface LeaseFile {
  name: string;
  holder: string;
  token: string;
  pid: number;
  hostname: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  released?: boolean;
}

/** A generation file still empty this long after creation belongs to a writer that died. */
const UNWRITTEN_GRACE_MS = 10_000;
const GENERATION = /^(\d+)\.json$/;

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const code = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

export class FileLeases {
  readonly #dir: string;
  readonly #clock: Clock;
  readonly #host = hostname();
  /** Lease directories known to exist, to save a mkdir per acquisition. */
  readonly #made = new Set<string>();

  constructor(dir: string, clock: Clock = systemClock) {
    this.#dir = dir;
    this.#clock = clock;
  }

  /** Lease names are free text; a hash keeps them safe as directory names. */
  #leaseDir(name: string): string {
    return join(this.#dir, createHash('sha256').update(name).digest('hex').slice(0, 40));
  }

  async #generations(dir: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (code(error) === 'ENOENT') return [];
      throw error;
    }
    return names
      .map((n) => GENERATION.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
  }

  /** The generation's content; 'gone' when it was deleted meanwhile, 'unwritten' when still empty. */
  async #read(dir: string, generation: number): Promise<LeaseFile | 'gone' | 'unwritten' | 'dead'> {
    const path = join(dir, `${generation}.json`);
    try {
      return JSON.parse(await readFile(path, 'utf8')) as LeaseFile;
    } catch (error) {
      if (code(error) === 'ENOENT') return 'gone';
      if (!(error instanceof SyntaxError)) throw error;
      // created but not yet written, or its writer died in between
      const info = await stat(path).catch(() => undefined);
      if (!info) return 'gone';
      return this.#clock.now().getTime() - info.mtimeMs > UNWRITTEN_GRACE_MS ? 'dead' : 'unwritten';
    }
  }

  #live(file: LeaseFile): boolean {
    if (file.released) return false;
    if (file.expiresAt <= this.#clock.now().getTime()) return false;
    return file.hostname !== this.#host || pidAlive(file.pid);
  }

  #toLease(file: LeaseFile, generation: number): Lease {
    return {
      name: file.name,
      holder: file.holder,
      token: `${generation}:${file.token}`,
      expiresAt: new Date(file.expiresAt).toISOString(),
    };
  }

  async acquireLease(request: LeaseRequest): Promise<Lease | undefined> {
    assertLeaseRequest(request);
    const dir = this.#leaseDir(request.name);
    if (!this.#made.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#made.add(dir);
    }
    // a few rounds: another process may delete the generation we are about to read
    for (let round = 0; round < 5; round++) {
      const generations = await this.#generations(dir);
      const top = generations[0];
      if (top !== undefined) {
        const current = await this.#read(dir, top);
        if (current === 'gone') continue;
        if (current === 'unwritten') return undefined;
        if (current !== 'dead' && this.#live(current)) return undefined;
      }
      const file: LeaseFile = {
        name: request.name,
        holder: request.holder,
        token: randomUUID(),
        pid: process.pid,
        hostname: this.#host,
        expiresAt: this.#clock.now().getTime() + request.ttlMs,
      };
      const generation = (top ?? 0) + 1;
      // someone else took this generation first: see what they hold
      if (!(await this.#create(dir, generation, file))) continue;
      for (const old of generations) await unlink(join(dir, `${old}.json`)).catch(() => undefined);
      return this.#toLease(file, generation);
    }
    return undefined;
  }

  /** Creates a generation file; false when it exists already (another process got there first). */
  async #create(dir: string, generation: number, file: LeaseFile): Promise<boolean> {
    let handle: Awaited<ReturnType<typeof open>>;
    const path = join(dir, `${generation}.json`);
    try {
      handle = await open(path, 'wx', 0o600);
    } catch (error) {
      if (code(error) === 'EEXIST') return false;
      if (code(error) !== 'ENOENT') throw error;
      // the state directory was removed under us (a reset): make it again
      await mkdir(dir, { recursive: true });
      try {
        handle = await open(path, 'wx', 0o600);
      } catch (again) {
        if (code(again) === 'EEXIST') return false;
        throw again;
      }
    }
    try {
      await handle.writeFile(JSON.stringify(file));
    } finally {
      await handle.close();
    }
    return true;
  }

  /** The generation file of a lease we hold, or undefined when it is no longer ours. */
  async #ours(lease: Lease): Promise<{ dir: string; generation: number; file: LeaseFile } | undefined> {
    const [gen, token] = lease.token.split(':', 2);
    const generation = Number(gen);
    const dir = this.#leaseDir(lease.name);
    const top = (await this.#generations(dir))[0];
    if (top !== generation) return undefined;
    const file = await this.#read(dir, generation);
    if (typeof file === 'string' || file.token !== token || file.released) return undefined;
    return { dir, generation, file };
  }

  /** Rewrites a generation we hold (temp file + rename; a lease needs no fsync: a crash frees it). */
  async #rewrite(dir: string, generation: number, file: LeaseFile): Promise<void> {
    const tmp = join(dir, `.${randomUUID()}.tmp`);
    await writeFile(tmp, JSON.stringify(file), { mode: 0o600 });
    try {
      await rename(tmp, join(dir, `${generation}.json`));
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    const ours = await this.#ours(lease);
    // expired: another process may be taking it over right now; do not race it
    if (!ours || ours.file.expiresAt <= this.#clock.now().getTime()) return undefined;
    const file = { ...ours.file, expiresAt: this.#clock.now().getTime() + ttlMs };
    await this.#rewrite(ours.dir, ours.generation, file);
    return this.#toLease(file, ours.generation);
  }

  async releaseLease(lease: Lease): Promise<void> {
    const [gen, token] = lease.token.split(':', 2);
    const generation = Number(gen);
    const dir = this.#leaseDir(lease.name);
    // Released by taking the next generation as a released marker: when someone already took
    // it, the lease was no longer ours and there is nothing to give up. The highest generation
    // always stays, so nobody can reuse a generation number.
    const marker: LeaseFile = {
      name: lease.name,
      holder: lease.holder,
      token: token ?? '',
      pid: process.pid,
      hostname: this.#host,
      expiresAt: 0,
      released: true,
    };
    if (await this.#create(dir, generation + 1, marker))
      await unlink(join(dir, `${generation}.json`)).catch(() => undefined);
  }
}
