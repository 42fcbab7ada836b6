/**
 * Renders BENCHMARKS.md from one run's raw results. Everything in the file comes from the run,
 * except bench/analysis.md (hand-written reading of a run), which is included verbatim.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BundleRow, BundleSettings } from './build-figures';
import { BackupRound, RestoreRound, ValidateRound, medianRatio, rate } from './figures';
import { ChildResult, fmt, median, mib } from './harness';
import { ProfileSummary } from './profile';
import { DEFAULT_GZIP_LEVEL } from '../lambda/backup/scan-engine';
import type { GzipLevelRow } from './gzip-levels';
import type { CatalogShape } from './catalog-figure';

/** Everything one run measured (also written to bench/last-run.json). */
export interface BenchResults {
  readonly facts: Record<string, string>;
  readonly quick: boolean;
  /** The command line of the run. */
  readonly command?: string;
  readonly rounds: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Set when figures 6 and 7 were measured later with --build-only. */
  readonly buildMeasuredAt?: string;
  readonly errors: string[];
  readonly segments: number;
  readonly concurrency: number;
  readonly itemBytes: number;
  readonly seed: { items: number; ms: number };
  readonly seedLarge?: { items: number; ms: number };
  readonly sizes: { main: number; small: number; large: number; requestedLarge: number; estimatedLargeSeconds: number; budgetSeconds: number };
  readonly backup?: BackupRound[];
  /** Figure 1b: gzip CPU and size per level on the engine's export lines. */
  readonly gzipLevels?: GzipLevelRow[];
  readonly memory?: { small?: MemoryFigure; large?: MemoryFigure };
  readonly restore?: RestoreRound[];
  readonly validate?: ValidateRound[];
  readonly profiles?: { backup?: ProfileSummary; restore?: ProfileSummary; validate?: ProfileSummary };
  readonly bundles?: { settings: BundleSettings; rows: BundleRow[] };
  readonly synth?: { ms: number[]; stacks: string[]; error?: string };
  /** Figure 8: the catalog. */
  readonly catalog?: CatalogShape[];
}

/** Figure 3 at one size. */
export interface MemoryFigure {
  readonly runs: ChildResult[];
  readonly baseline: ChildResult;
}

const TARGET_SCAN = 0.85;
const TARGET_MEMORY = 1.5;
const TARGET_RESTORE = 0.85;

const s = (ms: number) => `${fmt(ms / 1000, 2)} s`;
const x = (r: number) => `${fmt(r, 2)}×`;
const mbps = (bytes: number, ms: number) => `${fmt(bytes / 1048576 / (ms / 1000), 1)} MiB/s`;
const cpu = (r: ChildResult) => `${s(r.cpuMs ?? NaN)} / ${s(r.serverCpuMs?.dynamodb ?? NaN)} / ${s(r.serverCpuMs?.s3 ?? NaN)}`;
const met = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Headline numbers, shared by the targets table and the sections. */
function headline(r: BenchResults) {
  const b = r.backup ?? [];
  const scanRatio = b.length
    ? medianRatio(
        b,
        (x) => rate(x.engine),
        (x) => rate(x.ceiling),
      )
    : undefined;
  const naive = b.filter((x) => x.naive);
  const naiveRatio = naive.length
    ? medianRatio(
        naive,
        (x) => rate(x.engine),
        (x) => rate(x.naive!),
      )
    : undefined;
  const peak = (m?: MemoryFigure) => (m && m.runs.length ? median(m.runs.map((x) => x.peakRssBytes)) : undefined);
  const small = peak(r.memory?.small);
  const large = peak(r.memory?.large);
  const memRatio = small && large ? large / small : undefined;
  const rs = r.restore ?? [];
  const restoreRatio = rs.length
    ? medianRatio(
        rs,
        (x) => x.ceilingMs,
        (x) => x.restoreMs,
      )
    : undefined;
  const restoreWriteRatio =
    rs.length && rs.every((x) => x.writeMs)
      ? medianRatio(
          rs,
          (x) => x.ceilingMs,
          (x) => x.writeMs!,
        )
      : undefined;
  return { scanRatio, naiveRatio, small, large, memRatio, restoreRatio, restoreWriteRatio };
}

function targetsSection(r: BenchResults): string {
  const h = headline(r);
  const rows = [
    [
      '1',
      `scan-engine backup ≥ ${TARGET_SCAN} of raw parallel Scan`,
      h.scanRatio === undefined ? 'n/a' : x(h.scanRatio),
      met(h.scanRatio === undefined ? undefined : h.scanRatio >= TARGET_SCAN),
    ],
    [
      '3',
      `peak RSS at ${fmt(r.sizes.large)} items ≤ ${TARGET_MEMORY}× peak at ${fmt(r.sizes.small)}`,
      h.memRatio === undefined ? 'n/a' : `${x(h.memRatio)} (${mib(h.large!)} vs ${mib(h.small!)})`,
      met(h.memRatio === undefined ? undefined : h.memRatio <= TARGET_MEMORY),
    ],
    [
      '4a',
      `restore writes ≥ ${TARGET_RESTORE} of raw BatchWriteItem (same items, same concurrency): the write phase, the work the ceiling does`,
      h.restoreWriteRatio === undefined ? 'n/a' : x(h.restoreWriteRatio),
      met(h.restoreWriteRatio === undefined ? undefined : h.restoreWriteRatio >= TARGET_RESTORE),
    ],
    [
      '4b',
      `restore end to end ≥ ${TARGET_RESTORE} of raw BatchWriteItem: with the cheap checks before, each data file checked while written, the journal, and the COUNT check after, which the ceiling does not do`,
      h.restoreRatio === undefined ? 'n/a' : x(h.restoreRatio),
      met(h.restoreRatio === undefined ? undefined : h.restoreRatio >= TARGET_RESTORE),
    ],
  ];
  const sizeNote =
    r.sizes.large < r.sizes.requestedLarge
      ? `\n\n**Size note:** figure 3 was asked for ${fmt(r.sizes.requestedLarge)} items, but seeding and backing up that many was estimated at ${fmt(r.sizes.estimatedLargeSeconds / 60, 1)} min at this run's rates (DynamoDB Local's Scan time grows faster than the table, up to about its square on this machine, so the estimate scales the measured backup time quadratically: a pessimistic choice), over the ${fmt(r.sizes.budgetSeconds / 60)}-minute budget; the largest size that fit, ${fmt(r.sizes.large)} items, was measured instead.`
      : '';
  return `## Targets\n\n${table(['#', 'target', 'measured (median)', 'status'], rows)}${sizeNote}`;
}

function backupSection(r: BenchResults): string {
  const b = r.backup ?? [];
  if (!b.length) return '## 1. Scan engine vs raw parallel Scan\n\nNot measured (see Errors).';
  const h = headline(r);
  const rows = b.map((x, i) => [
    String(i + 1),
    fmt(rate(x.ceiling)),
    fmt(rate(x.engine)),
    fmt(rate(x.engine) / rate(x.ceiling), 2),
    cpu(x.ceiling),
    cpu(x.engine),
  ]);
  const one = [
    `## 1. Scan engine vs raw parallel Scan`,
    `${fmt(r.seed.items)} items, ${r.segments} segments for both. The ceiling only drains Scan pages; the engine also converts to DynamoDB JSON, gzips, hashes and uploads, and writes the manifests and metadata.json. Each run is a fresh child process; the order rotates per round. CPU columns: client process / DynamoDB Local / s3rver, CPU seconds during the run.`,
    table(['round', 'ceiling items/s', 'engine items/s', 'ratio', 'ceiling CPU c/ddb/s3', 'engine CPU c/ddb/s3'], rows),
    `Median ratio: **${x(h.scanRatio!)}** (median ceiling ${fmt(median(b.map((x) => rate(x.ceiling))))} items/s, median engine ${fmt(median(b.map((x) => rate(x.engine))))} items/s).`,
  ].join('\n\n');
  const naive = b.filter((x) => x.naive);
  if (!naive.length) return one;
  const two = [
    `## 2. Scan engine vs a naive exporter`,
    'bench/naive-exporter.ts: one sequential Scan, every item in memory, one JSON.stringify, one PutObject.',
    table(
      ['round', 'naive items/s', 'engine items/s', 'speed ratio', 'naive peak RSS', 'engine peak RSS'],
      naive.map((x, i) => [
        String(i + 1),
        fmt(rate(x.naive!)),
        fmt(rate(x.engine)),
        x === undefined ? '' : fmt(rate(x.engine) / rate(x.naive!), 2),
        mib(x.naive!.peakRssBytes),
        mib(x.engine.peakRssBytes),
      ]),
    ),
    `Median: engine **${x(h.naiveRatio!)}** the naive exporter's speed; peak RSS naive ${mib(median(naive.map((x) => x.naive!.peakRssBytes)))}, engine ${mib(median(naive.map((x) => x.engine.peakRssBytes)))}.`,
  ].join('\n\n');
  return `${one}\n\n${two}`;
}

function gzipSection(r: BenchResults): string {
  const rows = r.gzipLevels ?? [];
  if (!rows.length) return '';
  const at = (d: string, level: number) => rows.find((x) => x.dataset === d && x.level === level);
  return [
    '## 1b. gzip level of the data files',
    `The engine gzips data files at level ${DEFAULT_GZIP_LEVEL} (\`DEFAULT_GZIP_LEVEL\`, lambda/backup/scan-engine.ts). CPU time of one in-process gzip of the engine's export lines (median of 3) and the stored size, per level, relative to zlib's default level 6. The drill's shop dataset has less repeated text than the bench orders.`,
    table(
      ['dataset', 'level', 'raw', 'gzipped', 'CPU', 'CPU vs level 6', 'size vs level 6'],
      rows.map((g) => {
        const six = at(g.dataset, 6);
        return [
          g.dataset,
          g.level === DEFAULT_GZIP_LEVEL ? `**${g.level}** (engine)` : String(g.level),
          mib(g.rawBytes),
          mib(g.gzippedBytes),
          `${fmt(g.ms)} ms`,
          six ? x(g.ms / six.ms) : '',
          six ? x(g.gzippedBytes / six.gzippedBytes) : '',
        ];
      }),
    ),
  ].join('\n\n');
}

function memorySection(r: BenchResults): string {
  const rows: string[][] = [];
  for (const [label, m] of [
    [fmt(r.sizes.small), r.memory?.small],
    [fmt(r.sizes.large), r.memory?.large],
  ] as const) {
    if (!m) continue;
    rows.push([
      label,
      String(m.runs.length),
      m.runs.map((x) => mib(x.peakRssBytes)).join(', '),
      mib(median(m.runs.map((x) => x.peakRssBytes))),
      mib(m.baseline.peakRssBytes),
      s(median(m.runs.map((x) => x.durationMs))),
    ]);
  }
  const h = headline(r);
  return [
    '## 3. Peak memory of the backup process',
    `Peak RSS (\`process.resourceUsage().maxRSS\`) of a child process running one scan-engine backup of the whole table. The floor is the same child loading the same modules and doing nothing (Node + tsx + SDK).${r.sizes.main === r.sizes.small ? ' At the smaller size the runs are the engine runs of figure 1.' : ''}`,
    rows.length ? table(['items', 'runs', 'peak RSS per run', 'median', 'floor', 'backup time (median)'], rows) : 'Not measured (see Errors).',
    h.memRatio !== undefined ? `Larger / smaller: **${x(h.memRatio)}**.` : '',
    r.seedLarge
      ? `Topping the table up by ${fmt(r.seedLarge.items)} items took ${s(r.seedLarge.ms)} (${fmt(r.seedLarge.items / (r.seedLarge.ms / 1000))} items/s).`
      : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

function restoreSection(r: BenchResults): string {
  const rs = r.restore ?? [];
  if (!rs.length) return '## 4. Restore vs raw BatchWriteItem\n\nNot measured (see Errors).';
  const h = headline(r);
  const rows = rs.map((x, i) => [
    String(i + 1),
    fmt(x.items / (x.ceilingMs / 1000)),
    fmt(x.items / (x.restoreMs / 1000)),
    x.writeMs ? fmt(x.items / (x.writeMs / 1000)) : 'n/a',
    x.validateMs ? s(x.validateMs) : 'n/a',
    x.verifyMs ? s(x.verifyMs) : 'n/a',
    fmt(x.ceilingMs / x.restoreMs, 2),
    x.writeMs ? fmt(x.ceilingMs / x.writeMs, 2) : 'n/a',
  ]);
  const judged = 'The target is reported on both ratios (4a, 4b in the targets table).';
  return [
    '## 4. Restore vs raw BatchWriteItem',
    `${fmt(rs[0].items)} items, concurrency ${r.concurrency} for both. The ceiling writes the same items, already in memory, into a fresh table. The restore runs end to end: the cheap checks (metadata, manifests, file lists and sizes, schema), the restore journal, create the table from the saved schema, stream and write while checking each data file (every line, md5, sha256, count), turn protection on and check the count with a COUNT scan. "Write phase" is the restore report's \`writeMs\`: the streaming writes with their checks, the work the ceiling does plus the checks. "Validate" (the cheap checks; before the journal, the whole set was read once before writing) and "verify" (protection + COUNT scan) are the report's \`validateMs\` and \`verifyMs\`. ${judged}`,
    table(
      [
        'round',
        'raw BatchWriteItem items/s',
        'restore items/s (end to end)',
        'restore items/s (write phase)',
        'validate',
        'verify',
        'ratio end to end',
        'ratio write phase',
      ],
      rows,
    ),
    `Median ratio: **${x(h.restoreRatio!)}** end to end, ${h.restoreWriteRatio === undefined ? 'write phase not measured' : `**${x(h.restoreWriteRatio)}** for the write phase alone`}.`,
  ].join('\n\n');
}

function validateSection(r: BenchResults): string {
  const v = r.validate ?? [];
  if (!v.length) return '## 5. Validate vs read + gunzip\n\nNot measured (see Errors).';
  // Runs from before rawBytes was recorded: the figure 1 engine runs wrote the same table.
  const raw = (x: ValidateRound) => x.rawBytes ?? r.backup?.find((b) => b.engine.bytes)?.engine.bytes ?? NaN;
  const rows = v.map((x, i) => [
    String(i + 1),
    `${mib(x.storedBytes)} (${mib(raw(x))} raw)`,
    `${mbps(x.storedBytes, x.readGunzipMs)} (${mbps(raw(x), x.readGunzipMs)} raw)`,
    `${mbps(x.storedBytes, x.validateMs)} (${mbps(raw(x), x.validateMs)} raw)`,
    String(x.valid),
    fmt(x.readGunzipMs / x.validateMs, 2),
  ]);
  return [
    '## 5. `dr validate` vs reading and gunzipping the same files',
    'validateBackupSet on the set written in figure 1, against GetObject + gunzip of the same data files (4 in parallel, as validate reads them), output drained. MiB/s of stored (gzipped) bytes, and in brackets of uncompressed DynamoDB JSON: the bench items compress very well (repeated filler text), so the stored figure alone understates the work.',
    table(['round', 'size', 'read+gunzip', 'validate', 'valid', 'ratio'], rows),
    `Median: validate at **${x(
      medianRatio(
        v,
        (x) => x.readGunzipMs,
        (x) => x.validateMs,
      ),
    )}** the speed of read+gunzip.`,
  ].join('\n\n');
}

function catalogSection(r: BenchResults): string {
  const c = r.catalog ?? [];
  if (!c.length) return '';
  const cell = (m: CatalogShape['list']) =>
    `${m.total} (${Object.entries(m.requests)
      .map(([k, n]) => `${n} ${k.replace(/Command$/, '')}`)
      .join(', ')}), ${s(m.ms)}`;
  const rows = c.map((x) => [`${fmt(x.sets)} x ${fmt(x.filesPerSet)}`, fmt(x.objects), cell(x.list), cell(x.latest), cell(x.scan)]);
  return [
    '## 8. Catalog: finding sets',
    'Synthetic sets of one table (tiny data files, committed as the backup commits: metadata.json, then the catalog entry), the same number of sets holding 1 or 200 files each. `dr list` = the bucket check + listCatalog; `latest` = findLatestSet (restore latest, the replica monitor, the previous set of a scheduled backup); `--scan` also lists every file (what finding sets cost before the catalog). S3 requests by API, and the median time.',
    table(['sets x files', 'objects', '`dr list`', '`latest`', '`dr list --scan`'], rows),
  ].join('\n\n');
}

function bundlesSection(r: BenchResults): string {
  if (!r.bundles) return '## 6. Lambda bundles\n\nNot measured (see Errors, or run without --no-build).';
  const { settings, rows } = r.bundles;
  if (!rows.length) return '## 6. Lambda bundles\n\nNo lambda/handlers/*.ts found.';
  return [
    '## 6. Lambda bundles',
    `esbuild ${settings.target}, CommonJS, platform node, minify ${settings.minify}. How the settings were chosen: ${settings.source}. "Shipped" is what CDK uploads (\`@aws-sdk/*\` left to the Lambda runtime); "self-contained" bundles the SDK too. Load time: median \`require()\` of the bundle in a fresh Node process (module initialisation included; the shipped variant loads the SDK from node_modules, as Lambda loads it from the runtime).`,
    table(
      ['handler', 'shipped size', 'shipped load', 'self-contained size', 'self-contained load'],
      rows.map((b) => [
        b.handler,
        `${fmt(b.shippedBytes / 1024, 1)} KiB`,
        `${fmt(b.shippedLoadMs, 1)} ms`,
        `${fmt(b.fullBytes / 1024, 1)} KiB`,
        `${fmt(b.fullLoadMs, 1)} ms`,
      ]),
    ),
  ].join('\n\n');
}

function synthSection(r: BenchResults): string {
  if (!r.synth) return '## 7. `cdk synth`\n\nNot measured (see Errors, or run without --no-build).';
  const { ms, stacks, error } = r.synth;
  return [
    '## 7. `cdk synth` wall time',
    '`npx cdk synth -q -o <scratch dir>` for the whole app (Lambda bundling by esbuild included), wall time.',
    ms.length ? `Runs: ${ms.map(s).join(', ')}; median **${s(median(ms))}**. Templates: ${stacks.join(', ') || 'none found'}.` : '',
    error ? `Error: ${error}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

function profileSection(r: BenchResults): string {
  const parts = [
    '## What limits the figures (profiles)',
    'Each profile covers one whole child process, module loading included (frames such as `makeSyncRequest` and `wrapSafe` are tsx and Node loading code, and weigh most in short runs).',
  ];
  for (const [name, p] of Object.entries(r.profiles ?? {})) {
    if (!p) continue;
    parts.push(
      `**${name}** (one run with \`node --cpu-prof\`, ${s(p.totalMs)} profiled; main thread idle ${fmt(p.idleShare * 100)} % of it):\n\n` +
        table(
          ['self time', 'frame'],
          p.top.map((t) => [`${fmt(t.share * 100, 1)} %`, `\`${t.frame}\``]),
        ),
    );
  }
  const analysis = path.join(__dirname, 'analysis.md');
  if (fs.existsSync(analysis)) parts.push(fs.readFileSync(analysis, 'utf8').trim());
  // Measured apart by bench/restore-bucket.ts (on Ceph RGW), pasted by hand.
  const bucketFigures = path.join(__dirname, 'restore-bucket.md');
  if (fs.existsSync(bucketFigures)) parts.push(fs.readFileSync(bucketFigures, 'utf8').trim());
  return parts.join('\n\n');
}

/** BENCHMARKS.md for one run. */
export function renderReport(r: BenchResults): string {
  const facts = table(
    ['fact', 'value'],
    Object.entries(r.facts).map(([k, v]) => [k, v]),
  );
  return `${[
    '# Benchmarks',
    `Written by \`${r.command ?? `npm run bench${r.quick ? ' -- --quick' : ''}`}\` (bench/run.ts) from the run of ${r.startedAt} to ${r.finishedAt}. Raw numbers: bench/last-run.json. Every ratio is measured side by side in this one run; figures are medians of ${r.rounds} rounds unless stated.${r.buildMeasuredAt ? ` Figures 6 and 7 (no ratios) were measured at ${r.buildMeasuredAt} with \`--build-only\`.` : ''}`,
    '## Machine and sizes',
    facts,
    `DynamoDB Local (in memory) and s3rver run on the same machine as the client, so client and servers share the CPUs: every figure is a local figure, for comparing code paths, not a prediction of AWS throughput. Item: a shop order of about ${r.itemBytes} bytes (DynamoDB item size). Table: ${fmt(r.sizes.main)} items for figures 1, 2, 4 and 5; ${fmt(r.sizes.small)} and ${fmt(r.sizes.large)} for figure 3. Seeding with 16 parallel BatchWriteItem workers ran at ${fmt(r.seed.items / (r.seed.ms / 1000))} items/s.`,
    targetsSection(r),
    backupSection(r),
    gzipSection(r),
    memorySection(r),
    restoreSection(r),
    validateSection(r),
    catalogSection(r),
    bundlesSection(r),
    synthSection(r),
    profileSection(r),
    '## How to reproduce',
    [
      '```sh',
      'npm ci                       # Java is needed for DynamoDB Local',
      'npm run bench                # figures 1, 2, 4, 5 at 50,000 items; figure 3 at 100,000 / 1,000,000 (the larger shrinks to fit --budget-min, default 20); 3 rounds',
      'npm run bench -- --quick     # CI-sized: 20,000 items; figure 3 at 20,000 / 60,000; 3 rounds',
      'npm run bench -- --main 20000 --sizes 50000,200000 --rounds 5 --no-build --no-profile',
      'npm run bench -- --build-only  # figures 6 and 7 again, merged into bench/last-run.json',
      'npm run bench -- --render-only # BENCHMARKS.md again from bench/last-run.json and bench/analysis.md',
      'npm run bench -- --only catalog   # figure 8 alone (or --only validate [--main N]: figure 5 alone), to bench/only-<figure>.json',
      '```',
      '',
      'Profile a single run by hand: `node --cpu-prof --import tsx bench/child-backup.ts \'{"mode":"engine","table":"bench-orders","bucket":"dr-bench-backups","segments":8}\'` with the SDK endpoint variables of a running `startLocalServers()` pair.',
    ].join('\n'),
    r.errors.length ? `## Errors\n\n${r.errors.map((e) => `- ${e}`).join('\n')}` : '',
  ]
    .filter(Boolean)
    .join('\n\n')}\n`;
}
