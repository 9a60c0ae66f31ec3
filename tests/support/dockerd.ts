// Starts a private Docker Engine (Debian docker.io) for integration tests: vfs storage, no
// iptables, no bridge, everything (data, exec root, pidfile, socket) under a short temp dir,
// so it never touches a system daemon. Stop it with stop(); it is killed by pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runOk } from './child.ts';
import { pingDockerApi } from './docker-api-ping.ts';
import { stopProcess, track, waitUntil } from './ports.ts';
import { requireBinary } from './require.ts';

export interface Dockerd {
  /** Path of the daemon's unix socket. */
  socket: string;
  /** `unix://<socket>`, for DOCKER_HOST or dockerode. */
  dockerHost: string;
  /** The daemon's --data-root. */
  dataRoot: string;
  /** DOCKER_CONFIG directory used by docker() (credentials from `docker login` land here). */
  configDir: string;
  /** The daemon's own log (stdout+stderr), for diagnosing a failed test. */
  logFile: string;
  stop(): Promise<void>;
}

export async function startDockerd(
  options: {
    timeoutMs?: number;
    /** `vfs` (default: works on any filesystem) or `overlay2` (what nodes run; needs overlay mounts). */
    storageDriver?: 'vfs' | 'overlay2';
  } = {},
): Promise<Dockerd> {
  const bin = requireBinary('dockerd', 'docker.io');
  requireBinary('docker', 'docker.io');
  // Short path: unix socket paths are limited to 107 characters (containerd nests its own).
  const dir = await mkdtemp('/tmp/iwd-');
  const dataRoot = join(dir, 'data');
  const configDir = join(dir, 'cfg');
  const socket = join(dir, 'sock');
  const logFile = join(dir, 'dockerd.log');
  mkdirSync(configDir);
  const log = openSync(logFile, 'a');
  const args = [
    `--storage-driver=${options.storageDriver ?? 'vfs'}`,
    '--iptables=false',
    '--ip6tables=false',
    '--bridge=none',
    '--ip-masq=false',
    '--insecure-registry=127.0.0.0/8',
    `--data-root=${dataRoot}`,
    `--exec-root=${join(dir, 'exec')}`,
    `--pidfile=${join(dir, 'pid')}`,
    `--host=unix://${socket}`,
  ];
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', log, log] });
  closeSync(log); // the child has its own copy
  track(child);
  const stop = async (): Promise<void> => {
    await stopProcess(child, 15_000);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    await waitUntil(
      'dockerd to answer /_ping',
      async () => {
        if (child.exitCode !== null) {
          throw new Error(
            `dockerd exited with ${child.exitCode}: ${readFileSync(logFile, 'utf8').slice(-2000)}`,
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
  return { socket, dockerHost: `unix://${socket}`, dataRoot, configDir, logFile, stop };
}

export interface DockerResult {
  stdout: string;
  stderr: string;
}

/** Runs the docker CLI against `daemon` (argument array, no shell); rejects on a non-zero exit. */
export function docker(
  daemon: Pick<Dockerd, 'dockerHost' | 'configDir'>,
  args: string[],
  options: { input?: Uint8Array | string; timeoutMs?: number } = {},
): Promise<DockerResult> {
  const bin = requireBinary('docker', 'docker.io');
  return runOk(`docker ${args.join(' ')}`, bin, ['--host', daemon.dockerHost, ...args], {
    env: { ...process.env, DOCKER_CONFIG: daemon.configDir, DOCKER_CLI_HINTS: 'false' },
    ...options,
  });
}
