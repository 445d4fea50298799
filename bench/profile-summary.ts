/**
 * `node dist/bench/profile-summary.js <file.cpuprofile> [top]`: the functions
 * with the most self time and the most inclusive time in a V8 CPU profile
 * (from `npm run bench -- --profile=DIR`), with file and line, so a hot spot
 * can be named precisely.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

function key(f: CallFrame): string {
  const file = f.url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
}

function main(): void {
  const file = process.argv[2];
  const top = Number(process.argv[3] ?? 30);
  if (!file) {
    process.stderr.write('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const total = p.samples.length;
  const msPerSample = (p.endTime - p.startTime) / 1000 / Math.max(1, total);
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map<number, number>();
  for (const s of p.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  for (const [id, h] of hits) {
    const n = byId.get(id)!;
    const k = key(n.callFrame);
    self.set(k, (self.get(k) ?? 0) + h);
    // Inclusive: each function once per sample, however deep the recursion.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const kk = key(byId.get(cur)!.callFrame);
      if (seen.has(kk)) continue;
      seen.add(kk);
      incl.set(kk, (incl.get(kk) ?? 0) + h);
    }
  }
  const print = (title: string, m: Map<string, number>) => {
    process.stdout.write(`\n${title} (${total} samples, ${(total * msPerSample).toFixed(0)} ms)\n`);
    const rows = [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [k, h] of rows) process.stdout.write(`${((h / total) * 100).toFixed(1).padStart(5)}%  ${k}\n`);
  };
  print('self time', self);
  print('inclusive time', incl);
}

main();
