/**
 * The server's log file: its last lines for error messages, and a follower
 * that hands new lines to a callback. The server writes the file directly
 * (its stderr is the file), so it never depends on this process reading it.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** Reads `length` bytes of `file` from `start` (fewer at end of file). */
function readRange(file: string, start: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, start);
    return buf.subarray(0, n);
  } catch {
    return Buffer.alloc(0);
  } finally {
    closeSync(fd);
  }
}

/** Size of `file` in bytes, 0 when it does not exist. */
export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last `n` lines of `file` (at most its last 256 KiB), from byte `from` on. */
export function tailLines(file: string, n: number, from = 0): string {
  const size = fileSize(file);
  const start = Math.max(from, size - 256 * 1024);
  if (size <= start) return '';
  const lines = readRange(file, start, size - start)
    .toString('utf8')
    .split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-Math.max(0, n)).join('\n');
}

/** Text of `file` from byte `from` to its current end. */
export function readFrom(file: string, from: number): string {
  const size = fileSize(file);
  return size > from ? readRange(file, from, size - from).toString('utf8') : '';
}

/** Polls a log file and delivers each complete new line to `onLine`. */
export class LogFollower {
  private offset: number;
  private partial = '';
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly onLine: (line: string) => void,
    intervalMs = 100,
  ) {
    this.offset = fileSize(file);
    this.timer = setInterval(() => this.poll(), intervalMs);
    this.timer.unref();
  }

  /** Delivers whatever has been written since the last poll. */
  poll(): void {
    const size = fileSize(this.file);
    if (size < this.offset) this.offset = 0;
    if (size === this.offset) return;
    const text = this.partial + readRange(this.file, this.offset, size - this.offset).toString('utf8');
    this.offset = size;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        this.onLine(line);
      } catch {
        // a failing log callback must not break the cluster
      }
    }
  }

  /** Delivers the remaining lines and stops polling. */
  stop(): void {
    clearInterval(this.timer);
    this.poll();
    if (this.partial !== '') {
      const last = this.partial;
      this.partial = '';
      try {
        this.onLine(last);
      } catch {
        // as above
      }
    }
  }
}
