/**
 * The coordinator's side of a client process: spawn it, send requests, wait
 * for each answer with a deadline. A process that dies or times out fails
 * the request in hand and is started again for the next one.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { WorkerRequest, WorkerResponse } from './protocol.js';

type Pending = { resolve: (r: WorkerResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };
/** A request without its id (the host numbers them). */
export type RequestBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** One client process. */
export class WorkerHost {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stderrTail: string[] = [];

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private start(): ChildProcess {
    const child = spawn(this.command, this.args, { stdio: ['pipe', 'pipe', 'pipe'], env: this.env });
    this.child = child;
    this.stderrTail = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: WorkerResponse;
      try {
        msg = JSON.parse(line) as WorkerResponse;
      } catch {
        process.stderr.write(`[${this.name}] ${line}\n`);
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      p.resolve(msg);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
    const fail = (why: string) => {
      if (this.child === child) this.child = undefined;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(new Error(`${this.name} process ${why}${this.stderrTail.length ? `:\n${this.stderrTail.join('\n')}` : ''}`));
      }
    };
    child.on('error', (e) => fail(`could not start (${e.message})`));
    child.on('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`})`));
    return child;
  }

  /** Send one request and wait at most `timeoutMs` for its answer. */
  request(body: RequestBody, timeoutMs: number): Promise<WorkerResponse> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise<WorkerResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name} did not answer within ${Math.round(timeoutMs / 1000)} s; process killed`));
        this.kill();
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      child.stdin!.write(JSON.stringify({ ...body, id }) + '\n');
    });
  }

  /** True while the process runs. */
  get alive(): boolean {
    return this.child !== undefined;
  }

  /** Ask the process to close its connections and exit; kill it if it does not. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await this.request({ cmd: 'close' }, 15_000);
      child.stdin!.end();
    } catch {
      this.kill();
    }
    const t = setTimeout(() => this.kill(), 10_000);
    await exited;
    clearTimeout(t);
  }

  /** Kill the process at once. */
  kill(): void {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
