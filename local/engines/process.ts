import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * POSIX sh wrapper run around each engine. It starts the engine in the background and
 * - on SIGTERM/SIGINT/SIGHUP forwards SIGTERM to the engine and waits for it (so the engine is reaped, no zombie);
 * - watches its stdin (a pipe from this Node process): when we die, even by SIGKILL, the pipe closes, `read` sees EOF
 *   and the engine is terminated — the engine never outlives us;
 * - exits with the engine's exit code once the engine is gone.
 */
const WRAPPER = [
  'exec 3<&0',
  '"$@" 3<&- </dev/null &',
  'c=$!',
  'trap \'kill -TERM "$c" 2>/dev/null\' TERM INT HUP',
  '{ while read -r _; do :; done; kill -TERM "$c" 2>/dev/null; } <&3 &',
  'w=$!',
  'exec 3<&-',
  'while :; do wait "$c"; rc=$?; kill -0 "$c" 2>/dev/null || break; done',
  'kill "$w" 2>/dev/null; wait "$w" 2>/dev/null',
  'exit "$rc"',
].join('\n');

/** How an engine process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A supervised engine process (the wrapper shell is the process-group leader; its pid is the group id). */
export interface ManagedProcess {
  /** Engine name for messages, e.g. 'kinesis-mock'. */
  readonly name: string;
  /** Pid of the wrapper shell, which is also the process group id of the engine and its children. */
  readonly pid: number;
  /** The last lines the engine printed (stdout and stderr), newest last. */
  readonly output: string[];
  /** Resolves when the wrapper (and so the engine) has exited. */
  readonly exited: Promise<ExitInfo>;
  /** True once the wrapper has exited. */
  hasExited(): boolean;
  /** Terminate the engine (SIGTERM, then SIGKILL to the whole group after `timeoutMs`) and wait until it is gone. */
  stop(timeoutMs?: number): Promise<void>;
}

const OUTPUT_LINES = 40;
const live = new Set<ManagedProcess>();
let handlersInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function terminateAllSync(): void {
  for (const managed of live) {
    try {
      process.kill(managed.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // When the application handles the signal itself (e.g. `streamfold dev` finishing the batches in flight), leave
  // the engines running for it: it stops them, and the 'exit' handler remains the safety net.
  if (process.listenerCount(signal) > 1) return;
  terminateAllSync();
  // Nobody else handles the signal: keep its default meaning, exit.
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', terminateAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}

/** Options for {@link spawnManaged}. */
export interface SpawnManagedOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Receives each output line of the engine, prefixed with its name. */
  log?: (line: string) => void;
}

/**
 * Start `command args` under the {@link WRAPPER} shell in its own process group, capture its output, and register it
 * for cleanup on process exit and on SIGINT/SIGTERM/SIGHUP. The child does not keep the Node event loop alive.
 */
export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  options: SpawnManagedOptions,
): ManagedProcess {
  installExitHandlers();
  const child: ChildProcess = spawn('/bin/sh', ['-c', WRAPPER, name, command, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${name} (${command})`);
  const pid = child.pid;
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (output.length > OUTPUT_LINES) output.shift();
      options.log?.(`[${name}] ${line}`);
    });
  }
  let done = false;
  const managed: ManagedProcess = {
    name,
    pid,
    output,
    exited: new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        done = true;
        live.delete(managed);
        child.stdin?.destroy();
        resolve({ code, signal });
      });
    }),
    hasExited: () => done,
    async stop(timeoutMs = 10_000) {
      if (done) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const first = await Promise.race([managed.exited, timedOut]);
      clearTimeout(timer);
      if (first === 'timeout') {
        killGroup(pid, 'SIGKILL');
        await managed.exited;
      }
    },
  };
  live.add(managed);
  // Do not hold the event loop open: cleanup on exit is handled by the exit hook and the stdin watchdog.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
  return managed;
}

/** Pids of processes (zombies included) in the process group `pgid`; empty when the group is gone. Uses `ps`. */
export async function groupMembers(pgid: number): Promise<number[]> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('ps', ['-e', '-o', 'pid=,pgid='], (error, stdout) => {
      if (error) return resolve([]);
      const pids = stdout
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter(([, group]) => Number(group) === pgid)
        .map(([p]) => Number(p));
      resolve(pids);
    });
  });
}
