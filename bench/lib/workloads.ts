/**
 * The workloads: asyncpg's benchmark set plus common web shapes. One spec per
 * workload travels to every client process (Node and Python alike), so the
 * SQL text and the sizes are defined once, here.
 */

/** What one operation of a workload does; each client maps it to its own fastest API. */
export type WorkloadKind = 'query' | 'insert-batch' | 'copy' | 'cursor' | 'pipeline';

/** A workload as sent to the clients. */
export interface WorkloadSpec {
  /** Short id used on the command line and in the JSON. */
  id: string;
  /** Human title for the table and the chart. */
  title: string;
  kind: WorkloadKind;
  /** What the throughput counts. */
  unit: 'queries' | 'rows';
  /** Default number of concurrent workers (and pool size). */
  concurrency: number;
  /** The statement; $1 is a random id in [1, maxId] when maxId is set. */
  sql: string;
  /** Point selects draw their id uniformly from 1..maxId. */
  maxId?: number;
  /** Rows every operation must return (checked on every op) or write. */
  expectRows?: number;
  /** Target table and columns of insert-batch and copy. */
  table?: string;
  columns?: string[];
  /** Statements per explicit batch (pipeline). */
  batch?: number;
  /** Rows per cursor round trip. */
  prefetch?: number;
  /** Sample RSS during the operation and report the peak growth. */
  measureRss?: boolean;
  /** The pgbench script for this workload, when it can be expressed (written to a file). */
  pgbench?: string;
  /** pgbench cells run at least this long: its fresh connections first prepare every statement of the script. */
  pgbenchMinSeconds?: number;
}

/** Rows in the point-select table. */
export const POINT_ROWS = 100_000;
/** Rows per insert batch. */
export const INSERT_BATCH = 1000;
/** Rows per COPY. */
export const COPY_ROWS = 100_000;
/** Rows streamed through the cursor. */
export const STREAM_ROWS = 1_000_000;

const POINT_SQL = 'SELECT id, name, value, score, created FROM bench_point WHERE id = $1';
const INSERT_COLUMNS = ['id', 'name', 'score', 'created'];

function pgbenchInsertScript(): string {
  // The pgbench form of executeMany: every INSERT of the batch in one pipeline, one Sync at the end.
  const lines = ['\\set base random(1, 1000000000)', '\\startpipeline'];
  for (let i = 0; i < INSERT_BATCH; i++) {
    lines.push(`INSERT INTO bench_insert (id, name, score, created) VALUES (:base + ${i}, 'name ${i}', ${i}.5, now());`);
  }
  lines.push('\\endpipeline');
  return lines.join('\n') + '\n';
}

function pgbenchPipelineScript(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`\\set id${i} random(1, ${POINT_ROWS})`);
  lines.push('\\startpipeline');
  for (let i = 0; i < n; i++) lines.push(POINT_SQL.replace('$1', `:id${i}`) + ';');
  lines.push('\\endpipeline');
  return lines.join('\n') + '\n';
}

/** Every workload, in the order the table shows them. */
export function allWorkloads(): WorkloadSpec[] {
  return [
    {
      id: 'point',
      title: 'Point select by primary key (5 columns)',
      kind: 'query',
      unit: 'queries',
      concurrency: 10,
      sql: POINT_SQL,
      maxId: POINT_ROWS,
      expectRows: 1,
      pgbench: `\\set id random(1, ${POINT_ROWS})\n${POINT_SQL.replace('$1', ':id')};\n`,
    },
    {
      id: 'rows1000',
      title: '1 000 rows, mixed columns',
      kind: 'query',
      unit: 'rows',
      concurrency: 10,
      sql: 'SELECT id, name, score, created, doc FROM bench_mixed',
      expectRows: 1000,
      pgbench: 'SELECT id, name, score, created, doc FROM bench_mixed;\n',
    },
    {
      id: 'pg_type',
      title: 'SELECT * FROM pg_type (wide rows)',
      kind: 'query',
      unit: 'rows',
      concurrency: 10,
      sql: 'SELECT * FROM pg_type',
      pgbench: 'SELECT * FROM pg_type;\n',
    },
    {
      id: 'bytea',
      title: '100 rows of 1 KB bytea',
      kind: 'query',
      unit: 'rows',
      concurrency: 10,
      sql: 'SELECT id, data FROM bench_bytea',
      expectRows: 100,
      pgbench: 'SELECT id, data FROM bench_bytea;\n',
    },
    {
      id: 'intarray',
      title: '100 rows of int[100]',
      kind: 'query',
      unit: 'rows',
      concurrency: 10,
      sql: 'SELECT id, vals FROM bench_intarray',
      expectRows: 100,
      pgbench: 'SELECT id, vals FROM bench_intarray;\n',
    },
    {
      id: 'select1',
      title: 'SELECT 1, one worker (round trip)',
      kind: 'query',
      unit: 'queries',
      concurrency: 1,
      sql: 'SELECT 1',
      expectRows: 1,
      pgbench: 'SELECT 1;\n',
    },
    {
      id: 'insert',
      title: 'Insert 1 000 rows as a batch',
      kind: 'insert-batch',
      unit: 'rows',
      concurrency: 10,
      sql: 'INSERT INTO bench_insert (id, name, score, created) VALUES ($1, $2, $3, $4)',
      table: 'bench_insert',
      columns: INSERT_COLUMNS,
      expectRows: INSERT_BATCH,
      pgbench: pgbenchInsertScript(),
      pgbenchMinSeconds: 4,
    },
    {
      id: 'copy',
      title: 'COPY 100 000 rows in',
      kind: 'copy',
      unit: 'rows',
      concurrency: 10,
      sql: `COPY bench_copy (${INSERT_COLUMNS.join(', ')}) FROM STDIN`,
      table: 'bench_copy',
      columns: INSERT_COLUMNS,
      expectRows: COPY_ROWS,
    },
    {
      id: 'cursor',
      title: 'Stream 1 000 000 rows through a cursor, one worker',
      kind: 'cursor',
      unit: 'rows',
      concurrency: 1,
      sql: `SELECT i AS id, 'row ' || i AS name, i * 0.5::float8 AS score FROM generate_series(1, ${STREAM_ROWS}) AS i`,
      expectRows: STREAM_ROWS,
      prefetch: 1000,
      measureRss: true,
    },
    {
      id: 'pipeline',
      title: 'Pipelined point selects, batches of 10',
      kind: 'pipeline',
      unit: 'queries',
      concurrency: 10,
      sql: POINT_SQL,
      maxId: POINT_ROWS,
      batch: 10,
      expectRows: 10,
      pgbench: pgbenchPipelineScript(10),
    },
  ];
}

/** The rows an insert batch or a COPY writes: [id, name, score, created]. */
export function makeRecords(count: number, seed: number): [number, string, number, Date][] {
  const out: [number, string, number, Date][] = new Array(count);
  const base = Date.UTC(2024, 0, 1);
  for (let i = 0; i < count; i++) {
    const id = seed + i;
    out[i] = [id, `name ${id}`, id * 0.5, new Date(base + id * 1000)];
  }
  return out;
}
