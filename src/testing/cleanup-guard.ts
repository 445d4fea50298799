/**
 * Makes sure a TempCluster never outlives the process that made it: a
 * synchronous 'exit' handler for ordinary exits, and a detached watchdog
 * process (reaper.js) for deaths that run no handler at all (SIGKILL, an
 * uncaught signal, a crash).
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { processGone } from './process-state.js';

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Per-cluster cleanup on process exit; {@link release} once the cluster is destroyed. */
export class CleanupGuard {
  private pid: number | undefined;
  private readonly reaper: ChildProcessByStdio<Writable, null, null> | undefined;
  private readonly onExit: () => void;
  private released = false;
  private readonly raisedLimit: boolean;

  constructor(
    private readonly rootDir: string,
    dataDir: string,
  ) {
    this.onExit = () => this.cleanupSync();
    // Several clusters at once are normal in a test file; keep Node's leak warning quiet
    // (0 means unlimited already).
    this.raisedLimit = process.getMaxListeners() !== 0;
    if (this.raisedLimit) process.setMaxListeners(process.getMaxListeners() + 1);
    process.on('exit', this.onExit);
    this.reaper = this.spawnReaper(dataDir);
  }

  private spawnReaper(dataDir: string): ChildProcessByStdio<Writable, null, null> | undefined {
    const script = fileURLToPath(new URL('./reaper.js', import.meta.url));
    const config = JSON.stringify({ parentPid: process.pid, rootDir: this.rootDir, dataDir });
    try {
      const child = spawn(process.execPath, [script, config], {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      child.on('error', () => {
        // Without a watchdog the exit handler still covers ordinary exits.
      });
      child.stdin.on('error', () => {});
      child.unref();
      (child.stdin as Writable as Socket).unref();
      return child;
    } catch {
      return undefined;
    }
  }

  /** Tells the guards which process (initdb or the postmaster) to stop, or none. */
  setPid(pid: number | undefined): void {
    this.pid = pid;
    if (this.reaper && !this.reaper.stdin.destroyed) this.reaper.stdin.write(`pid ${pid ?? '-'}\n`);
  }

  /** The cluster cleaned up after itself: stand both guards down. */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    if (this.raisedLimit) process.setMaxListeners(Math.max(1, process.getMaxListeners() - 1));
    if (this.reaper && !this.reaper.stdin.destroyed) this.reaper.stdin.end('release\n');
  }

  /** Runs inside the 'exit' event, so it can only do synchronous work. */
  private cleanupSync(): void {
    const pid = this.pid;
    if (pid !== undefined && !processGone(pid)) {
      try {
        process.kill(pid, 'SIGQUIT');
        for (let i = 0; i < 100 && !processGone(pid); i++) sleepSync(20);
        if (!processGone(pid)) process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    try {
      rmSync(this.rootDir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
    } catch {
      // the reaper, which sees our stdin close next, tries again
    }
  }
}
