// Starts a private Podman API service (Debian podman) for integration tests: its Docker-
// compatible API on a unix socket under a short temp dir, vfs storage with its own --root and
// --runroot, and private registries.conf / containers.conf / storage.conf (through the
// CONTAINERS_* and XDG_* variables), so it never reads or writes the host's containers/storage
// or its registry settings. Loopback registries are reached over plain HTTP. Stop it with
// stop(); it is killed by pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runOk } from './child.ts';
import { pingDockerApi } from './docker-api-ping.ts';
import { stopProcess, track, waitUntil } from './ports.ts';
import { requireBinary } from './require.ts';

export interface Podman {
  /** Path of the service's unix socket (Docker Engine API compatible). */
  socket: string;
  /** The storage root (containers/storage graphroot), the image store on disk. */
  root: string;
  /** The service's own log (stdout+stderr), for diagnosing a failed test. */
  logFile: string;
  stop(): Promise<void>;
}

export interface PodmanOptions {
  /** Registries (host:port) reached over plain HTTP; loopback test registries. */
  insecureRegistries: readonly string[];
  timeoutMs?: number;
}

interface Private {
  dir: string;
  root: string;
  runroot: string;
  env: NodeJS.ProcessEnv;
}

// Keyed by socket so podmanCli() reaches the same root and config as the service.
const privates = new Map<string, Private>();

function storageFlags(p: Private): string[] {
  return [
    `--root=${p.root}`,
    `--runroot=${p.runroot}`,
    '--storage-driver=vfs',
    `--tmpdir=${join(p.dir, 'tmp')}`,
    '--cgroup-manager=cgroupfs',
    '--events-backend=file',
  ];
}

export async function startPodman(options: PodmanOptions): Promise<Podman> {
  const bin = requireBinary('podman', 'podman');
  // Short path: unix socket paths are limited to 107 characters.
  const dir = await mkdtemp('/tmp/iwp-');
  const cfg = join(dir, 'cfg');
  const p: Private = { dir, root: join(dir, 'root'), runroot: join(dir, 'run'), env: {} };
  for (const sub of ['cfg', 'tmp', 'xdg-run', 'xdg-config', 'xdg-data']) mkdirSync(join(dir, sub));
  // Registries without TLS must be listed one by one: registries.conf has no CIDR form.
  const registries = [
    'unqualified-search-registries = []',
    ...options.insecureRegistries.map((host) =>
      ['[[registry]]', `location = ${JSON.stringify(host)}`, 'insecure = true'].join('\n'),
    ),
  ].join('\n\n');
  writeFileSync(join(cfg, 'registries.conf'), `${registries}\n`);
  writeFileSync(
    join(cfg, 'storage.conf'),
    `[storage]\ndriver = "vfs"\ngraphroot = ${JSON.stringify(p.root)}\nrunroot = ${JSON.stringify(p.runroot)}\n`,
  );
  writeFileSync(
    join(cfg, 'containers.conf'),
    [
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = ${JSON.stringify(join(dir, 'events.log'))}`,
      `tmp_dir = ${JSON.stringify(join(dir, 'tmp'))}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(cfg, 'auth.json'), '{"auths":{}}\n', { mode: 0o600 });
  p.env = {
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: dir,
    CONTAINERS_REGISTRIES_CONF: join(cfg, 'registries.conf'),
    CONTAINERS_STORAGE_CONF: join(cfg, 'storage.conf'),
    CONTAINERS_CONF: join(cfg, 'containers.conf'),
    XDG_RUNTIME_DIR: join(dir, 'xdg-run'),
    XDG_CONFIG_HOME: join(dir, 'xdg-config'),
    XDG_DATA_HOME: join(dir, 'xdg-data'),
    // credentials `podman login` would write; kept out of the host's auth.json
    REGISTRY_AUTH_FILE: join(cfg, 'auth.json'),
  };
  const socket = join(dir, 'sock');
  const logFile = join(dir, 'podman.log');
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    bin,
    [...storageFlags(p), 'system', 'service', '--time=0', `unix://${socket}`],
    {
      stdio: ['ignore', log, log],
      env: p.env,
    },
  );
  closeSync(log); // the child has its own copy
  track(child);
  privates.set(socket, p);
  const stop = async (): Promise<void> => {
    privates.delete(socket);
    await stopProcess(child, 15_000);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    await waitUntil(
      'podman system service to answer /_ping',
      async () => {
        if (child.exitCode !== null) {
          throw new Error(
            `podman system service exited with ${child.exitCode}: ${readFileSync(logFile, 'utf8').slice(-2000)}`,
          );
        }
        return pingDockerApi(socket);
      },
      { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 200 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { socket, root: p.root, logFile, stop };
}

/** Runs the podman CLI on the service's root and config (argument array, no shell). */
export function podmanCli(
  service: Pick<Podman, 'socket'>,
  args: string[],
  options: { timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  const bin = requireBinary('podman', 'podman');
  const p = privates.get(service.socket);
  if (p === undefined) throw new Error(`no running podman service on ${service.socket}`);
  return runOk(`podman ${args.join(' ')}`, bin, [...storageFlags(p), ...args], { env: p.env, ...options });
}
