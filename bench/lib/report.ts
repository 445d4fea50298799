/**
 * What a run produces: the tables (Markdown, printed and saved), the target
 * check, the JSON and the SVG chart.
 */
import type { ClientName } from './options.js';
import type { CellResult } from './protocol.js';
import { renderRoundTrips } from './round-trips.js';
import type { RoundTripReport } from './round-trips.js';
import type { WorkloadSpec } from './workloads.js';

/** How a client fared on a workload. */
export type CellStatus = 'ok' | 'not-implemented' | 'missing' | 'n/a' | 'error';

/** One client on one workload, over all rounds. */
export interface ClientWorkloadResult {
  status: CellStatus;
  /** Why it did not run (missing, not implemented, error text). */
  detail?: string;
  method?: string;
  rounds: CellResult[];
  /** Median throughput over rounds, units per second. */
  throughput?: number;
  /** (max - min) / median over rounds. */
  spread?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Peak RSS growth over warm-up and rounds, MB (measureRss workloads). */
  rssGrowthMB?: number;
  /** RSS growth of the warm-up cell, the first time the process ran the workload. */
  warmupRssGrowthMB?: number;
}

/** One workload over all clients. */
export interface WorkloadResult {
  id: string;
  title: string;
  unit: WorkloadSpec['unit'];
  concurrency: number;
  results: Partial<Record<ClientName, ClientWorkloadResult>>;
  /** pgjet's throughput divided by the best Node peer's, by asyncpg's, by pgbench's. */
  ratios: { bestNode?: number; asyncpg?: number; pgbench?: number; alt?: number };
}

/** A client as the run found it. */
export interface ClientInfo {
  name: ClientName;
  available: boolean;
  reason?: string;
  version?: string;
  runtime?: string;
  notes?: string[];
}

/** A target of the issue and whether this run met it. */
export interface TargetCheck {
  target: string;
  workload: string;
  value: string;
  met: boolean | undefined;
}

/** The whole run, as written to JSON. */
export interface RunReport {
  startedAt: string;
  finishedAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGB: number;
    platform: string;
    node: string;
    /** 1, 5 and 15 minute load averages when the run started and ended: other load makes the spread wide. */
    loadAverage: { start: number[]; end: number[] };
  };
  server: { version: string; settings: Record<string, string>; started: boolean };
  options: { durationMs: number; warmupMs: number; rounds: number; concurrency: number | undefined };
  clients: ClientInfo[];
  workloads: WorkloadResult[];
  targets: TargetCheck[];
  /** Round trips per query, first run and cached (absent when a run left it out with --workloads). */
  roundTrips?: RoundTripReport;
}

const NODE_PEERS: ClientName[] = ['node-postgres', 'postgres.js'];

/** Fill in medians and ratios once the rounds are in. */
export function summarize(w: WorkloadResult, median: (xs: number[]) => number, spread: (xs: number[]) => number): void {
  for (const r of Object.values(w.results)) {
    if (r.status !== 'ok' || r.rounds.length === 0) continue;
    const rates = r.rounds.map((c) => (c.units / c.elapsedMs) * 1000);
    r.throughput = median(rates);
    r.spread = spread(rates);
    r.p50Ms = median(r.rounds.map((c) => c.p50Ms));
    r.p99Ms = median(r.rounds.map((c) => c.p99Ms));
    const rss = [...r.rounds.map((c) => c.rssGrowthMB), r.warmupRssGrowthMB].filter((x): x is number => x !== undefined);
    if (rss.length > 0) r.rssGrowthMB = Math.max(...rss);
  }
  const pgjet = w.results.pgjet?.throughput;
  if (pgjet === undefined) return;
  const nodeBest = Math.max(...NODE_PEERS.map((c) => w.results[c]?.throughput ?? -Infinity));
  if (Number.isFinite(nodeBest) && nodeBest > 0) w.ratios.bestNode = pgjet / nodeBest;
  const a = w.results.asyncpg?.throughput;
  if (a) w.ratios.asyncpg = pgjet / a;
  const b = w.results.pgbench?.throughput;
  if (b) w.ratios.pgbench = pgjet / b;
  const alt = w.results['pgjet-alt']?.throughput;
  if (alt) w.ratios.alt = pgjet / alt;
}

/** The issue's targets, checked against this run. */
export function checkTargets(workloads: WorkloadResult[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const w of workloads) {
    const r = w.ratios;
    out.push({ target: 'pgjet >= 1.3x best Node peer', workload: w.id, value: r.bestNode === undefined ? 'n/a' : `${r.bestNode.toFixed(2)}x`, met: r.bestNode === undefined ? undefined : r.bestNode >= 1.3 });
    out.push({ target: 'pgjet >= asyncpg', workload: w.id, value: r.asyncpg === undefined ? 'n/a' : `${r.asyncpg.toFixed(2)}x`, met: r.asyncpg === undefined ? undefined : r.asyncpg >= 1 });
    if (w.id === 'point') {
      out.push({ target: 'pgjet >= 50% of pgbench', workload: w.id, value: r.pgbench === undefined ? 'n/a' : `${(r.pgbench * 100).toFixed(0)}%`, met: r.pgbench === undefined ? undefined : r.pgbench >= 0.5 });
    }
    if (w.id === 'cursor') {
      const g = w.results.pgjet?.rssGrowthMB;
      out.push({ target: 'RSS growth < 20 MB', workload: w.id, value: g === undefined ? 'n/a' : `${g.toFixed(1)} MB`, met: g === undefined ? undefined : g < 20 });
    }
  }
  return out;
}

/** 1234567 -> "1.23M", 45100 -> "45.1k". */
export function fmtRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 1 : 2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e5 ? 0 : 1)}k`;
  return n.toFixed(0);
}

function fmtMs(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function statusText(r: ClientWorkloadResult | undefined, client: ClientName): string {
  if (!r) return 'not run';
  switch (r.status) {
    case 'ok':
      return '';
    case 'not-implemented':
      return client === 'pgjet' ? 'pgjet: not implemented yet' : 'not implemented';
    case 'missing':
      return 'missing';
    case 'n/a':
      return '—';
    case 'error':
      return 'error';
  }
}

function ratio(x: number | undefined): string {
  return x === undefined ? '—' : `${x.toFixed(2)}×`;
}

function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

/** The Markdown report: throughput with ratios, latency, targets, methods, clients. */
export function renderMarkdown(report: RunReport, clients: ClientName[]): string {
  const unitName = (w: WorkloadResult) => (w.unit === 'rows' ? 'rows/s' : 'queries/s');
  const withAlt = clients.includes('pgjet-alt');
  const thr = table(
    ['Workload', 'unit', 'workers', ...clients, 'pgjet ÷ best Node', 'pgjet ÷ asyncpg', 'pgjet ÷ pgbench', ...(withAlt ? ['pgjet ÷ pgjet-alt'] : [])],
    report.workloads.map((w) => [
      w.title,
      unitName(w),
      String(w.concurrency),
      ...clients.map((c) => {
        const r = w.results[c];
        if (r?.status === 'ok' && r.throughput !== undefined) return `${fmtRate(r.throughput)} ±${((r.spread ?? 0) * 50).toFixed(0)}%`;
        return statusText(r, c);
      }),
      ratio(w.ratios.bestNode),
      ratio(w.ratios.asyncpg),
      ratio(w.ratios.pgbench),
      ...(withAlt ? [ratio(w.ratios.alt)] : []),
    ]),
  );
  const lat = table(
    ['Workload (p50 / p99 ms per op)', ...clients],
    report.workloads.map((w) => [
      w.title,
      ...clients.map((c) => {
        const r = w.results[c];
        if (r?.status !== 'ok') return statusText(r, c);
        const rss = r.rssGrowthMB === undefined ? '' : `, RSS +${r.rssGrowthMB.toFixed(1)} MB`;
        return `${fmtMs(r.p50Ms)} / ${fmtMs(r.p99Ms)}${rss}`;
      }),
    ]),
  );
  const targets = table(
    ['Target', 'Workload', 'This run', 'Met'],
    report.targets.map((t) => [t.target, t.workload, t.value, t.met === undefined ? '—' : t.met ? 'yes' : '**no**']),
  );
  const methods: string[] = [];
  for (const w of report.workloads) {
    for (const c of clients) {
      const r = w.results[c];
      if (r?.method) methods.push(`- ${w.id} / ${c}: ${r.method}`);
      if (r && r.status !== 'ok' && r.detail) methods.push(`- ${w.id} / ${c}: **${r.status}**: ${r.detail.split('\n')[0]}`);
    }
  }
  const clientLines = report.clients.map((c) =>
    c.available
      ? `- ${c.name} ${c.version ?? ''} (${c.runtime ?? ''})${c.notes?.length ? `: ${c.notes.join('; ')}` : ''}`
      : `- ${c.name}: **${c.reason ?? 'missing'}**`,
  );
  const rt = report.roundTrips;
  const rtSection = rt
    ? [
        '## Round trips per query: first run / cached run',
        '',
        `Each client on one fresh connection: the first run of a statement it has never run there, then the mean of the next ${rt.cachedRuns} runs, one after another. ` +
          `A round trip is ${rt.definition}`,
        '',
        renderRoundTrips(rt),
        '',
        ...(report.clients.some((c) => c.name === 'pgbench') ? ['pgbench is a load generator, not a driver: not measured here.', ''] : []),
      ]
    : [];
  const cellSections =
    report.workloads.length === 0
      ? []
      : [
          `Cells: ${report.options.rounds} rounds of ${report.options.durationMs / 1000} s after ${report.options.warmupMs / 1000} s of warm-up, clients interleaved; median throughput ± half the spread of the rounds.`,
          '',
          '## Throughput',
          '',
          thr,
          '',
          '## Latency per operation',
          '',
          lat,
          '',
          '## Targets',
          '',
          targets,
          '',
        ];
  return [
    `# pgjet benchmark, ${report.startedAt}`,
    '',
    `Machine: ${report.machine.cpus} cores (${report.machine.cpuModel}), ${report.machine.memoryGB} GB, ${report.machine.platform}, Node ${report.machine.node}; ` +
      `load average ${report.machine.loadAverage.start.join(' ')} at the start, ${report.machine.loadAverage.end.join(' ')} at the end.`,
    `Server: ${report.server.version}${report.server.started ? ' (temporary cluster)' : ''}; ` +
      Object.entries(report.server.settings).map(([k, v]) => `${k}=${v}`).join(', ') + '.',
    ...(cellSections.length === 0 ? [''] : cellSections),
    ...rtSection,
    '## Clients',
    '',
    ...clientLines,
    '',
    ...(methods.length === 0 ? [] : ['## How each client runs each workload', '', ...methods, '']),
  ].join('\n');
}

const COLORS: Record<ClientName, string> = {
  pgjet: '#e8590c',
  'node-postgres': '#1c7ed6',
  'pgjet-alt': '#ffa94d',
  'postgres.js': '#2f9e44',
  asyncpg: '#7048e8',
  pgbench: '#868e96',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A grouped horizontal bar chart: per workload, each client's throughput relative to the fastest. */
export function renderSvg(report: RunReport, clients: ClientName[]): string {
  const width = 980;
  const labelW = 120;
  const barX = 20 + labelW;
  const barMax = 560;
  const rowH = 17;
  const parts: string[] = [];
  let y = 28;
  parts.push(`<text x="20" y="${y}" font-size="17" font-weight="bold">pgjet benchmark — throughput, median of ${report.options.rounds} rounds (longer bar is faster)</text>`);
  y += 20;
  parts.push(
    `<text x="20" y="${y}" font-size="12" fill="#555">${esc(`${report.startedAt.slice(0, 10)} · ${report.machine.cpus} cores · Node ${report.machine.node} · ${report.server.version.split(' (')[0]?.split(' on ')[0] ?? ''} · (pgjet N×) = pgjet's throughput ÷ that client's`)}</text>`,
  );
  y += 14;
  let lx = 20;
  for (const c of clients) {
    parts.push(`<rect x="${lx}" y="${y}" width="12" height="12" fill="${COLORS[c]}"/><text x="${lx + 16}" y="${y + 10}" font-size="12">${esc(c)}</text>`);
    lx += 30 + c.length * 7;
  }
  y += 24;
  for (const w of report.workloads) {
    const best = Math.max(...clients.map((c) => w.results[c]?.throughput ?? 0));
    parts.push(`<text x="20" y="${y + 12}" font-size="13" font-weight="bold">${esc(w.title)}</text>`);
    parts.push(`<text x="${width - 20}" y="${y + 12}" font-size="11" fill="#555" text-anchor="end">${esc(`${w.unit === 'rows' ? 'rows/s' : 'queries/s'}, ${w.concurrency} worker${w.concurrency === 1 ? '' : 's'}`)}</text>`);
    y += 18;
    for (const c of clients) {
      const r = w.results[c];
      parts.push(`<text x="${20 + labelW - 6}" y="${y + 11}" font-size="11" text-anchor="end">${esc(c)}</text>`);
      if (r?.status === 'ok' && r.throughput !== undefined && best > 0) {
        const bw = Math.max(1, (r.throughput / best) * barMax);
        parts.push(`<rect x="${barX}" y="${y + 2}" width="${bw.toFixed(1)}" height="${rowH - 5}" fill="${COLORS[c]}"/>`);
        const rel = c === 'pgjet' || w.results.pgjet?.throughput === undefined ? '' : ` (pgjet ${(w.results.pgjet.throughput / r.throughput).toFixed(2)}×)`;
        parts.push(`<text x="${barX + bw + 6}" y="${y + 11}" font-size="11">${esc(fmtRate(r.throughput) + rel)}</text>`);
      } else {
        parts.push(`<text x="${barX}" y="${y + 11}" font-size="11" fill="#999" font-style="italic">${esc(statusText(r, c) === '—' ? 'not expressible' : statusText(r, c))}</text>`);
      }
      y += rowH;
    }
    y += 10;
  }
  y += 6;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
