/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`) into the functions with the most self
 * time: enough to say what limits a run in BENCHMARKS.md without opening a profiler.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One line of a profile summary. */
export interface HotSpot {
  /** `function (file or package)`, or V8's `(idle)`, `(garbage collector)`, `(program)`. */
  readonly frame: string;
  /** Share of all samples, 0..1. */
  readonly share: number;
}

/** Self-time summary of a profile. */
export interface ProfileSummary {
  readonly totalMs: number;
  /** Share of samples where the main thread was idle (waiting on I/O), 0..1. */
  readonly idleShare: number;
  readonly top: HotSpot[];
}

function frameName(n: ProfileNode): string {
  const f = n.callFrame;
  if (!f.url) return f.functionName || '(anonymous)';
  const file = f.url.replace(/^file:\/\//, '');
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  const where = m ? m[1] : path.relative(path.join(__dirname, '..'), file);
  // No line numbers: project files run through tsx, so V8's lines are those of the transpiled code.
  return `${f.functionName || '(anonymous)'} (${where})`;
}

/** Reads the newest .cpuprofile in `dir` and returns its top `n` self-time frames. */
export function summarizeProfile(dir: string, n = 8): ProfileSummary | undefined {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (files.length === 0) return undefined;
  const newest = files.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  const prof = JSON.parse(fs.readFileSync(newest, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + dt);
    total += dt;
  });
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, us]) => ({ frame, share: total ? us / total : 0 }));
  return { totalMs: total / 1000, idleShare: total ? (self.get('(idle)') ?? 0) / total : 0, top };
}
