// Leases on the local disk, for FileStateStore (the notify run, outbox message claims) and for
// its own cross-process lock around writes to a collection. A lease is one lock file
// `<hash of name>.lock` ({holder, token, pid, hostname, expiresAt}) created with O_EXCL, so of
// several processes racing for a free lease exactly one wins; no directory listing is involved
// (readdir may miss entries created or removed while it runs). A lease is stale when its time
// ran out, or when its holder ran on this host and its pid is gone (a SIGKILLed run blocks
// nobody). A stale lock is moved aside under a unique name (rename is atomic, so only one
// process gets it), checked to be the very lock judged stale (else put back), and removed;
// then the O_EXCL race starts again. Release moves the lock aside the same way, so a holder
// whose lease ran out and was taken over never deletes the new holder's lock.
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
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
}

/** A lock file still empty this long after creation belongs to a writer that died. */
const UNWRITTEN_GRACE_MS = 10_000;

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
  #made = false;

  constructor(dir: string, clock: Clock = systemClock) {
    this.#dir = dir;
    this.#clock = clock;
  }

  /** Lease names are free text; a hash keeps them safe as file names. */
  #path(name: string): string {
    return join(this.#dir, `${createHash('sha256').update(name).digest('hex').slice(0, 40)}.lock`);
  }

  /** The lock's content; 'gone' when absent, 'unwritten' while just created, 'dead' if never written. */
  async #read(path: string): Promise<LeaseFile | 'gone' | 'unwritten' | 'dead'> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as LeaseFile;
    } catch (error) {
      if (code(error) === 'ENOENT') return 'gone';
      if (!(error instanceof SyntaxError)) throw error;
      const info = await stat(path).catch(() => undefined);
      if (!info) return 'gone';
      return this.#clock.now().getTime() - info.mtimeMs > UNWRITTEN_GRACE_MS ? 'dead' : 'unwritten';
    }
  }

  #live(file: LeaseFile): boolean {
    if (file.expiresAt <= this.#clock.now().getTime()) return false;
    return file.hostname !== this.#host || pidAlive(file.pid);
  }

  /** Creates the lock file; false when it exists already. */
  async #create(path: string, file: LeaseFile): Promise<boolean> {
    if (!this.#made) {
      await mkdir(this.#dir, { recursive: true });
      this.#made = true;
    }
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'wx', 0o600);
    } catch (error) {
      if (code(error) === 'EEXIST') return false;
      if (code(error) !== 'ENOENT') throw error;
      // the state directory was removed under us (a reset): make it again
      this.#made = false;
      return this.#create(path, file);
    }
    try {
      await handle.writeFile(JSON.stringify(file));
    } finally {
      await handle.close();
    }
    return true;
  }

  /**
   * Moves the lock aside if it is still the one with `token` (undefined: an unwritten/dead one)
   * and deletes it; puts back a lock that turned out to be another. Returns whether it removed it.
   */
  async #remove(path: string, token: string | undefined): Promise<boolean> {
    const aside = `${path}.${randomUUID()}.aside`;
    try {
      await rename(path, aside);
    } catch (error) {
      if (code(error) === 'ENOENT') return false;
      throw error;
    }
    const moved = await this.#read(aside);
    const same = typeof moved === 'string' ? token === undefined : moved.token === token;
    if (!same) {
      // not the lock we meant (it changed in between): put it back unless a new one is there
      await link(aside, path).catch(() => undefined);
    }
    await unlink(aside).catch(() => undefined);
    return same;
  }

  async acquireLease(request: LeaseRequest): Promise<Lease | undefined> {
    assertLeaseRequest(request);
    const path = this.#path(request.name);
    for (let round = 0; round < 5; round++) {
      const file: LeaseFile = {
        name: request.name,
        holder: request.holder,
        token: randomUUID(),
        pid: process.pid,
        hostname: this.#host,
        expiresAt: this.#clock.now().getTime() + request.ttlMs,
      };
      if (await this.#create(path, file)) return this.#toLease(file);
      const current = await this.#read(path);
      if (current === 'gone') continue;
      if (current === 'unwritten') return undefined;
      if (current !== 'dead' && this.#live(current)) return undefined;
      // stale: remove exactly that lock, then race for a new one
      await this.#remove(path, current === 'dead' ? undefined : current.token);
    }
    return undefined;
  }

  #toLease(file: LeaseFile): Lease {
    return {
      name: file.name,
      holder: file.holder,
      token: file.token,
      expiresAt: new Date(file.expiresAt).toISOString(),
    };
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    const path = this.#path(lease.name);
    const current = await this.#read(path);
    // expired: another process may be taking it over right now; do not race it
    if (typeof current === 'string' || current.token !== lease.token || !this.#live(current))
      return undefined;
    const file = { ...current, expiresAt: this.#clock.now().getTime() + ttlMs };
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(file), { mode: 0o600 });
    try {
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    return this.#toLease(file);
  }

  async releaseLease(lease: Lease): Promise<void> {
    await this.#remove(this.#path(lease.name), lease.token);
  }
}
