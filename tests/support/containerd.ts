// Starts a private containerd (Debian `containerd`, which ships the CRI plugin) for
// integration tests: its own root, state, gRPC socket and config under a short temp dir, the
// `native` snapshotter (works on any filesystem, no overlay mounts), the CRI stream server on
// a free port, and a registry hosts dir where addPlainHttpRegistry() lets the CRI pull from
// a loopback registry over plain HTTP. Stop it with stop(); it is killed by pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runOk } from './child.ts';
import { killProcessTrees, unmountUnder } from './leftovers.ts';
import { freePort, stopProcess, track, waitUntil } from './ports.ts';
import { requireBinary } from './require.ts';

export interface Containerd {
  /** Path of the gRPC socket (containerd's API and the CRI on the same socket). */
  socket: string;
  root: string;
  state: string;
  /** containerd's own log (stdout+stderr), for diagnosing a failed test. */
  logFile: string;
  /** Lets the CRI pull from `host` (`127.0.0.1:PORT`) over plain HTTP (a hosts.toml for it). */
  addPlainHttpRegistry(host: string): void;
  stop(): Promise<void>;
}

export interface CtrResult {
  stdout: string;
  stderr: string;
}

/** Runs `ctr --address SOCKET -n k8s.io ...` (argument array, no shell); rejects on a non-zero exit. */
export function ctr(
  daemon: Pick<Containerd, 'socket'>,
  args: string[],
  options: { timeoutMs?: number; namespace?: string } = {},
): Promise<CtrResult> {
  const bin = requireBinary('ctr', 'containerd');
  return runOk(
    `ctr ${args.join(' ')}`,
    bin,
    ['--address', daemon.socket, '-n', options.namespace ?? 'k8s.io', ...args],
    {
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    },
  );
}

function configToml(dir: string, socket: string, streamPort: number, sandboxImage: string): string {
  const q = JSON.stringify;
  return `version = 2
root = ${q(join(dir, 'root'))}
state = ${q(join(dir, 'state'))}
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = ${q(socket)}

[ttrpc]
  address = ${q(`${socket}.ttrpc`)}

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(join(dir, 'opt'))}

[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
  stream_server_port = ${q(String(streamPort))}
  sandbox_image = ${q(sandboxImage)}
  enable_selinux = false
  # the sandbox refuses a negative oom_score_adj (the pause container's -998); keep the
  # runtime's own instead, as containerd does in rootless setups
  restrict_oom_score_adj = true
  # ImageFsInfo reports the snapshotter usage collected every this many seconds
  stats_collect_period = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ${q(join(dir, 'cni-bin'))}
    conf_dir = ${q(join(dir, 'cni-conf'))}
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ${q(join(dir, 'certs.d'))}
`;
}

export async function startContainerd(
  options: { timeoutMs?: number; sandboxImage?: string } = {},
): Promise<Containerd> {
  const bin = requireBinary('containerd', 'containerd');
  requireBinary('ctr', 'containerd');
  // short path: unix socket paths are limited to 107 characters and the shims nest their own
  const dir = await mkdtemp('/tmp/icd-');
  const socket = join(dir, 'sock');
  const logFile = join(dir, 'containerd.log');
  const hostsDir = join(dir, 'certs.d');
  for (const sub of ['cni-bin', 'cni-conf', 'certs.d']) mkdirSync(join(dir, sub));
  const configFile = join(dir, 'config.toml');
  writeFileSync(
    configFile,
    configToml(dir, socket, await freePort(), options.sandboxImage ?? 'registry.invalid/pause:3.6'),
  );
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(bin, ['--config', configFile, '--log-level', 'info'], {
    stdio: ['ignore', log, log],
  });
  closeSync(log); // the child has its own copy
  track(child);
  const stop = async (): Promise<void> => {
    await stopProcess(child, 15_000);
    // pods a test left running outlive containerd in their shims, with their mounts
    killProcessTrees(`-address ${socket}`);
    unmountUnder(dir);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    await waitUntil(
      'containerd to answer ctr version',
      async () => {
        if (child.exitCode !== null) {
          throw new Error(
            `containerd exited with ${child.exitCode}: ${readFileSync(logFile, 'utf8').slice(-2000)}`,
          );
        }
        await ctr({ socket }, ['version'], { timeoutMs: 5000 });
        return true;
      },
      { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 200 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const addPlainHttpRegistry = (host: string): void => {
    mkdirSync(join(hostsDir, host), { recursive: true });
    writeFileSync(
      join(hostsDir, host, 'hosts.toml'),
      `server = "http://${host}"\n\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n`,
    );
  };
  return { socket, root: join(dir, 'root'), state: join(dir, 'state'), logFile, addPlainHttpRegistry, stop };
}
