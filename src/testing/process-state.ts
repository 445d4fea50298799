/**
 * Whether a process is still running. A process that has exited but not yet
 * been waited for (a zombie, which is what a killed server is until its
 * parent or init reaps it) still answers signal 0, so on Linux its state in
 * /proc decides.
 */
import { readFileSync } from 'node:fs';

/** True when `pid` has exited (or is a zombie), false while it runs. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return true;
  }
  if (process.platform !== 'linux') return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterName = stat.lastIndexOf(')');
    return stat.slice(afterName + 2, afterName + 3) === 'Z';
  } catch {
    return true;
  }
}
