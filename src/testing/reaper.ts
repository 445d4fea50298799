/**
 * Watchdog for one TempCluster, run as its own detached process:
 * `node reaper.js '{"parentPid":1,"rootDir":"...","dataDir":"..."}'`.
 *
 * The parent keeps our stdin open for as long as it lives and writes
 * `pid <n>` whenever the server (or initdb) it runs changes, and `release`
 * once it has cleaned up itself. End of input without `release`, or the
 * parent's pid disappearing, means the parent died (even by SIGKILL, when no
 * exit handler runs): stop the server and remove the cluster directory.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { processGone } from './process-state.js';

interface ReaperConfig {
  parentPid: number;
  rootDir: string;
  dataDir: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Guards against a recycled pid: on Linux the process must name our data directory. */
function isOurs(pid: number, dataDir: string): boolean {
  if (processGone(pid)) return false;
  if (process.platform !== 'linux') return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dataDir);
  } catch {
    return false;
  }
}

function pidFromLockFile(dataDir: string): number | undefined {
  try {
    const first = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '';
    const pid = Number(first.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The parent is gone when its pid is; EPERM means it lives on as another user. */
function parentGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

async function stopProcess(pid: number, dataDir: string): Promise<void> {
  if (!isOurs(pid, dataDir)) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && !processGone(pid); i++) await sleep(50);
  if (isOurs(pid, dataDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    for (let i = 0; i < 40 && !processGone(pid); i++) await sleep(50);
  }
}

async function reap(config: ReaperConfig, trackedPid: number | undefined): Promise<void> {
  const pids = new Set<number>();
  if (trackedPid !== undefined) pids.add(trackedPid);
  const locked = pidFromLockFile(config.dataDir);
  if (locked !== undefined) pids.add(locked);
  for (const pid of pids) await stopProcess(pid, config.dataDir);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      rmSync(config.rootDir, { recursive: true, force: true });
      return;
    } catch {
      // a backend may still be writing; try again shortly
      await sleep(200);
    }
  }
}

function main(): void {
  const config = JSON.parse(process.argv[2] ?? '{}') as ReaperConfig;
  if (!config.rootDir || !config.dataDir || !config.parentPid) process.exit(2);
  // Detached already; ignore terminal hangups and interrupts meant for the parent's group.
  process.on('SIGHUP', () => {});
  process.on('SIGINT', () => {});

  let trackedPid: number | undefined;
  let released = false;
  let reaping = false;
  let buffered = '';

  const finish = (): void => {
    if (reaping) return;
    reaping = true;
    clearInterval(poll);
    if (released) process.exit(0);
    void reap(config, trackedPid).then(() => process.exit(0));
  };

  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line === 'release') {
        released = true;
        finish();
      } else if (line.startsWith('pid ')) {
        const n = Number(line.slice(4));
        trackedPid = Number.isInteger(n) && n > 0 ? n : undefined;
      }
    }
  });
  process.stdin.on('end', finish);
  process.stdin.on('error', finish);
  const poll = setInterval(() => {
    if (parentGone(config.parentPid)) finish();
  }, 1000);
}

main();
