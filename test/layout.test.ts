/**
 * The layout rules of the runtime and the whole source tree (docs/development.md):
 * - no folder under lambda/ holds more than 8 source files;
 * - no source file in lib/, lambda/, cli/, bin/ is over 400 lines;
 * - no import cycle between source files;
 * - runtime folders import one way only: handlers -> backup/restore/validate -> store -> format,
 *   with shared/ usable from everywhere and importing nothing of ours;
 * - lambda/ never imports aws-cdk-lib, constructs, cli/ or lib/.
 *
 * The rules are plain functions over an import graph, so each is also tested on a small graph
 * that breaks it (a rule that cannot fail proves nothing).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const SOURCE_ROOTS = ['lib', 'lambda', 'cli', 'bin'];

/** Runtime folders and the runtime folders each may import. */
const ALLOWED: Record<string, readonly string[]> = {
  shared: [],
  format: [],
  store: ['format', 'shared'],
  validate: ['store', 'format', 'shared'],
  backup: ['store', 'format', 'shared'],
  restore: ['validate', 'store', 'format', 'shared'],
  incremental: ['backup', 'store', 'format', 'shared'],
  handlers: ['backup', 'restore', 'validate', 'incremental', 'store', 'format', 'shared'],
  // point-in-time bucket recovery (`dr restore-bucket`): only the restore journal
  buckets: ['restore'],
};

type Graph = Record<string, string[]>;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Relative imports of each file, resolved to repository paths. External packages are kept as their names. */
function importGraph(files: readonly string[]): Graph {
  const graph: Graph = {};
  for (const f of files) {
    const src = fs.readFileSync(path.join(ROOT, f), 'utf8');
    graph[f] = [];
    for (const m of src.matchAll(/(?:from\s+|import\(\s*|require\(\s*)'([^']+)'/g)) {
      const spec = m[1];
      if (!spec.startsWith('.')) {
        graph[f].push(spec);
        continue;
      }
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), spec));
      const hit = [`${target}.ts`, `${target}/index.ts`].find((c) => fs.existsSync(path.join(ROOT, c)));
      if (hit) graph[f].push(hit);
    }
  }
  return graph;
}

/** Every cycle found by depth-first search, as the list of files around it. */
export function findCycles(graph: Graph): string[][] {
  const state: Record<string, 1 | 2> = {};
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (n: string): void => {
    state[n] = 1;
    stack.push(n);
    for (const m of graph[n] ?? []) {
      if (!(m in graph)) continue;
      if (state[m] === 1) cycles.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state[m]) visit(m);
    }
    stack.pop();
    state[n] = 2;
  };
  for (const n of Object.keys(graph)) if (!state[n]) visit(n);
  return cycles;
}

/** Imports between runtime folders that the one-way flow forbids, and lambda/ imports of infrastructure or CLI code. */
export function flowViolations(graph: Graph): string[] {
  const bad: string[] = [];
  for (const [from, targets] of Object.entries(graph)) {
    const [top, folder] = from.split('/');
    if (top !== 'lambda') continue;
    for (const t of targets) {
      if (/^(aws-cdk-lib|constructs)(\/|$)/.test(t) || /^(lib|cli|bin)\//.test(t)) {
        bad.push(`${from} imports ${t}: lambda/ is runtime code and never imports infrastructure or CLI code`);
        continue;
      }
      const [ttop, tfolder] = t.split('/');
      if (ttop !== 'lambda' || tfolder === folder) continue;
      if (!(folder in ALLOWED)) bad.push(`${from}: lambda/${folder}/ is not a known runtime folder (add it to ALLOWED with its imports)`);
      else if (!ALLOWED[folder].includes(tfolder))
        bad.push(`${from} imports ${t}: lambda/${folder}/ may import only ${ALLOWED[folder].join(', ') || 'nothing of ours'}`);
    }
  }
  return bad;
}

const files = SOURCE_ROOTS.flatMap(sourceFiles);
const graph = importGraph(files);

describe('source layout', () => {
  test('no folder under lambda/ holds more than 8 source files', () => {
    const perFolder = new Map<string, number>();
    for (const f of files.filter((x) => x.startsWith('lambda/'))) perFolder.set(path.posix.dirname(f), (perFolder.get(path.posix.dirname(f)) ?? 0) + 1);
    expect(perFolder.size).toBeGreaterThanOrEqual(7);
    expect([...perFolder].filter(([, n]) => n > 8)).toEqual([]);
  });

  test('no source file in lib/, lambda/, cli/, bin/ is over 400 lines', () => {
    const long = files.map((f) => [f, fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n').length] as const).filter(([, n]) => n > 400);
    expect(files.length).toBeGreaterThan(50);
    expect(long).toEqual([]);
  });

  test('no import cycles', () => {
    expect(findCycles(graph)).toEqual([]);
  });

  test('runtime folders import one way (handlers -> backup/restore/validate -> store -> format), lambda/ never imports CDK or CLI code', () => {
    expect(flowViolations(graph)).toEqual([]);
  });

  test('the rules catch a cycle, a backwards import and a CDK import in lambda/', () => {
    expect(findCycles({ 'a.ts': ['b.ts'], 'b.ts': ['a.ts'] })).toEqual([['a.ts', 'b.ts', 'a.ts']]);
    expect(flowViolations({ 'lambda/store/x.ts': ['lambda/restore/y.ts'], 'lambda/restore/y.ts': [] })).toEqual([
      'lambda/store/x.ts imports lambda/restore/y.ts: lambda/store/ may import only format, shared',
    ]);
    expect(flowViolations({ 'lambda/backup/x.ts': ['aws-cdk-lib/aws-s3'] })[0]).toMatch(/never imports infrastructure/);
  });
});
