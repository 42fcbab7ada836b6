/**
 * Figures 6 and 7 of BENCHMARKS.md: Lambda bundle sizes and load times, and `cdk synth` wall time.
 *
 * Bundles are built with esbuild the way CDK's NodejsFunction builds them (bundle, platform node,
 * CommonJS, target from the function runtime, `@aws-sdk/*` external on Node 18+ runtimes since the
 * Lambda runtime provides SDK v3). The options the stacks set are read from lib/ so the figure
 * follows the code; a second, self-contained variant (SDK bundled too) shows what the SDK costs.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { median } from './harness';

const ROOT = path.join(__dirname, '..');

/** The bundling options NodejsFunction would use, as far as lib/ sets them. */
export interface BundleSettings {
  readonly target: string;
  readonly minify: boolean;
  readonly externalSdk: boolean;
  /** Where each setting came from. */
  readonly source: string;
}

function libSources(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(path.join(ROOT, 'lib'));
  return files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
}

/** Reads runtime, minify and externalModules from lib/ (NodejsFunction defaults otherwise). */
export function detectBundleSettings(): BundleSettings {
  const src = libSources();
  const runtime = /Runtime\.NODEJS_(\d+)_X/.exec(src);
  const minify = /minify:\s*true/.test(src);
  const externals = /externalModules\s*:/.test(src);
  return {
    target: runtime ? `node${runtime[1]}` : 'node20',
    minify,
    externalSdk: true,
    source: [
      runtime ? `runtime NODEJS_${runtime[1]}_X found in lib/` : 'no Runtime.NODEJS_*_X found in lib/: node20 assumed',
      minify ? 'minify: true set in lib/' : 'minify not set in lib/ (NodejsFunction default: false)',
      externals ? 'lib/ sets externalModules: check it matches @aws-sdk/*' : '@aws-sdk/* external (NodejsFunction default on Node 18+ runtimes)',
    ].join('; '),
  };
}

/** One handler's figure 6 row. */
export interface BundleRow {
  readonly handler: string;
  /** As CDK ships it (SDK external). */
  readonly shippedBytes: number;
  readonly shippedLoadMs: number;
  /** Self-contained: SDK bundled in. */
  readonly fullBytes: number;
  readonly fullLoadMs: number;
}

const HANDLER_ENV: Record<string, string> = {
  APP_NAME: 'shop',
  BACKUP_BUCKET: 'shop-backup-bucket',
  REPLICA_BUCKET: 'shop-replica-bucket',
  TABLES: 'orders',
  ENGINE: 'auto',
  EXPORT_THRESHOLD_BYTES: '1073741824',
  SCAN_SEGMENTS: '0',
  MAX_FILE_BYTES: '134217728',
  SAMPLE_SIZE: '100',
  AWS_REGION: 'eu-west-1',
};

/** Milliseconds to `require()` a bundle in a fresh Node process (module init included). */
function loadMs(file: string): number {
  const code = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
  const r = spawnSync(process.execPath, ['-e', code], {
    env: { ...process.env, ...HANDLER_ENV, NODE_PATH: path.join(ROOT, 'node_modules'), NODE_NO_WARNINGS: '1' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`loading ${file} failed: ${r.stderr.slice(-1500)}`);
  return Number(r.stdout.trim());
}

async function bundle(entry: string, outfile: string, s: BundleSettings, externalSdk: boolean): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: s.target,
    minify: s.minify,
    sourcemap: false,
    external: externalSdk ? ['@aws-sdk/*'] : [],
    logLevel: 'error',
  });
  return fs.statSync(outfile).size;
}

/** Figure 6: bundles every lambda/handlers/*.ts twice and times `loads` fresh-process loads of each. */
export async function measureBundles(loads: number): Promise<{ settings: BundleSettings; rows: BundleRow[] }> {
  const settings = detectBundleSettings();
  const dir = path.join(ROOT, 'lambda', 'handlers');
  const handlers = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ts')) : [];
  // The shipped variant resolves @aws-sdk/* through NODE_PATH=node_modules (see loadMs), as the
  // Lambda runtime resolves it from its own SDK copy.
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-bench-bundles-'));
  const rows: BundleRow[] = [];
  try {
    for (const h of handlers) {
      const name = h.replace(/\.ts$/, '');
      const shipped = path.join(out, `${name}.shipped.js`);
      const full = path.join(out, `${name}.full.js`);
      const shippedBytes = await bundle(path.join(dir, h), shipped, settings, true);
      const fullBytes = await bundle(path.join(dir, h), full, settings, false);
      const times = (f: string) => median(Array.from({ length: loads }, () => loadMs(f)));
      rows.push({ handler: name, shippedBytes, shippedLoadMs: times(shipped), fullBytes, fullLoadMs: times(full) });
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  return { settings, rows };
}

/** Figure 7: wall time of `cdk synth -q` (all stacks), `rounds` times, into a scratch cdk.out. */
export async function measureSynth(rounds: number): Promise<{ ms: number[]; stacks: string[]; error?: string }> {
  if (!fs.existsSync(path.join(ROOT, 'bin', 'app.ts'))) return { ms: [], stacks: [], error: 'bin/app.ts does not exist yet' };
  const ms: number[] = [];
  let stacks: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-bench-cdk-'));
    const t0 = performance.now();
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('npx', ['cdk', 'synth', '-q', '-o', outDir], {
        cwd: ROOT,
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (c) => resolve({ code: c, stderr: err }));
    });
    const elapsed = performance.now() - t0;
    stacks = fs.readdirSync(outDir).filter((f) => f.endsWith('.template.json'));
    fs.rmSync(outDir, { recursive: true, force: true });
    if (code !== 0) {
      const lines = stderr.trim().split('\n');
      const errs = lines.filter((l) => /error/i.test(l)).slice(0, 4);
      return { ms, stacks, error: `cdk synth exited ${code}: ${(errs.length ? errs : lines.slice(-5)).join(' / ')}` };
    }
    ms.push(elapsed);
  }
  return { ms, stacks };
}
