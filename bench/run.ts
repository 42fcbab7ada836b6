/**
 * `npm run bench [-- --quick] [--rounds N] [--sizes 100000,1000000] [--main 50000] [--budget-min 20] [--no-build] [--no-profile] [--out FILE]`
 * `npm run bench -- --only restore [--main 50000] [--rounds 3]`: seeds, backs up once in-process and
 * measures figure 4 alone; prints the rounds and ratios, writes nothing (for work on the restore).
 * `npm run bench -- --only chain [--main 20000] [--changes 250] [--rounds 5]`: figure 10 (issue 19),
 * a full set + 96 windows against a full set of the same final items, to bench/only-chain.json.
 * `npm run bench -- --only catalog|validate [--main N] [--rounds N]`: that one figure alone, printed
 * and written to bench/only-<figure>.json (BENCHMARKS.md and bench/last-run.json are left alone:
 * their ratios come from one whole run).
 * `npm run bench -- --build-only`: measures figures 6 and 7 again, keeps figures 1-5 of
 * bench/last-run.json, and rewrites BENCHMARKS.md. `--render-only` rewrites it from
 * bench/last-run.json and bench/analysis.md without measuring.
 *
 * Starts DynamoDB Local and s3rver, seeds one shop-like table (~600-byte orders), measures the
 * seven figures of issue 6 side by side with their ceilings, and writes BENCHMARKS.md (plus the
 * raw numbers as bench/last-run.json).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { startLocalServers } from '../cli/support/local-servers';
import { createDynamoDbClient, createS3Client } from '../lambda/shared/clients';
import { measureBundles, measureSynth } from './build-figures';
import { measureGzipLevels } from './gzip-levels';
import { BenchContext, measureBackup, measureMemory, measureRestore, measureValidate } from './figures';
import { benchItem, createBenchTable, dropTable, itemSize, log, machineFacts, median, parallelBatchWrite, runChild } from './harness';
import { summarizeProfile } from './profile';
import { measureCatalog, s3rverFileWriter } from './catalog-figure';
import { measureChainRestore } from './chain-figure';
import { BenchResults, MemoryFigure, renderReport } from './report';

/** Results are filled in figure by figure. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Args {
  quick: boolean;
  rounds: number;
  sizes: [number, number];
  /** Items for figures 1, 2, 4 and 5 (at most sizes[0]). */
  main: number;
  budgetMin: number;
  build: boolean;
  buildOnly: boolean;
  renderOnly: boolean;
  profile: boolean;
  out: string;
  /** `--only`: one figure alone (restore: printed, nothing written; catalog, validate, chain: bench/only-<figure>.json). */
  only?: 'restore' | 'catalog' | 'validate' | 'chain';
  /** `--changes`: changes per window of figure 10. */
  changes: number;
}

function parseArgs(argv: string[]): Args {
  const quick = argv.includes('--quick');
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizes = (value('--sizes') ?? (quick ? '20000,60000' : '100000,1000000')).split(',').map(Number);
  if (sizes.length !== 2 || sizes.some((n) => !Number.isInteger(n) || n <= 0) || sizes[0] >= sizes[1]) {
    throw new Error(`--sizes takes two increasing item counts, e.g. --sizes 100000,1000000 (got "${value('--sizes')}")`);
  }
  const main = Number(value('--main') ?? Math.min(sizes[0], quick ? 20000 : 50000));
  if (!Number.isInteger(main) || main <= 0 || main > sizes[0])
    throw new Error(`--main takes an item count up to the smaller --sizes value (got "${value('--main')}")`);
  return {
    quick,
    main,
    rounds: Number(value('--rounds') ?? 3),
    sizes: [sizes[0], sizes[1]],
    budgetMin: Number(value('--budget-min') ?? 20),
    build: !argv.includes('--no-build'),
    buildOnly: argv.includes('--build-only'),
    renderOnly: argv.includes('--render-only'),
    profile: !argv.includes('--no-profile'),
    out: path.resolve(value('--out') ?? path.join(__dirname, '..', 'BENCHMARKS.md')),
    only: onlyArg(value('--only')),
    changes: Number(value('--changes') ?? 250),
  };
}

function onlyArg(v: string | undefined): Args['only'] {
  if (v === undefined || v === 'restore' || v === 'catalog' || v === 'validate' || v === 'chain') return v;
  throw new Error(`--only takes restore, catalog, validate or chain (got "${v}")`);
}

/** The catalog figure's shapes: 400 sets of 1 and of 200 files (--quick: 100 sets). */
export function catalogShapes(quick: boolean): { sets: number; filesPerSet: number }[] {
  const sets = quick ? 100 : 400;
  return [
    { sets, filesPerSet: 1 },
    { sets, filesPerSet: 200 },
  ];
}

/** One figure alone (`--only`), on its own servers; results to bench/only-<figure>.json. */
async function onlyFigure(args: Args): Promise<void> {
  const s3Directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-bench-s3-'));
  const servers = await startLocalServers({ applyToProcessEnv: true, javaHeap: '2g', s3Directory });
  const started = new Date().toISOString();
  const out: Record<string, unknown> = { figure: args.only, command: process.argv.slice(2).join(' '), startedAt: started, facts: machineFacts() };
  try {
    const dynamodb = createDynamoDbClient();
    const s3 = createS3Client();
    if (args.only === 'catalog') out.catalog = await measureCatalog(s3, catalogShapes(args.quick), args.rounds, (b) => s3rverFileWriter(s3Directory, b));
    else if (args.only === 'chain') {
      const [chainBucket, fullBucket] = ['dr-bench-chain', 'dr-bench-chain-full'];
      for (const b of [chainBucket, fullBucket]) await s3.send(new CreateBucketCommand({ Bucket: b }));
      const streams = new DynamoDBStreamsClient({ endpoint: servers.env.AWS_ENDPOINT_URL_DYNAMODB, region: servers.env.AWS_REGION });
      const opts = { dynamodb, streams, s3, chainBucket, fullBucket, items: args.main, changesPerWindow: args.changes, rounds: args.rounds, concurrency: 16 };
      out.chain = await measureChainRestore(opts);
      streams.destroy();
    } else {
      const bucket = 'dr-bench-backups';
      const table = 'bench-orders';
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await createBenchTable(dynamodb, table);
      log(`seeding ${args.main} items`);
      await parallelBatchWrite(dynamodb, table, args.main, benchItem, 16);
      const { runBackup } = await import('../lambda/backup/backup');
      const md = await runBackup({ dynamodb, s3, bucket, tables: [table], tier: 'adhoc', engine: 'scan', segments: 8 });
      const ctx: BenchContext = { dynamodb, s3, bucket, env: servers.env, segments: 8, concurrency: 16, rounds: args.rounds };
      out.validate = await measureValidate(ctx, md.backupId, 4);
      if (args.profile) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-bench-prof-'));
        const child = { mode: 'validate' as const, table, bucket, segments: 8, backupId: md.backupId, suffix: '-profiled', concurrency: 16 };
        await runChild(child, servers.env, ['--cpu-prof', '--cpu-prof-dir', path.join(dir, 'validate')]);
        out.profile = summarizeProfile(path.join(dir, 'validate'), 12);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await servers.stop();
    fs.rmSync(s3Directory, { recursive: true, force: true });
  }
  out.finishedAt = new Date().toISOString();
  const file = path.join(__dirname, `only-${args.only}.json`);
  fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  log(`wrote ${file}`);
}

/** Runs `fn`, recording its error instead of losing the other figures. */
async function figure<T>(name: string, errors: string[], fn: () => Promise<T>): Promise<T | undefined> {
  log(`${name}...`);
  try {
    return await fn();
  } catch (e) {
    const msg = `${name}: ${(e as Error).message.split('\n').slice(0, 3).join(' / ')}`;
    log(`FAILED ${msg}`);
    errors.push(msg);
    return undefined;
  }
}

/** Seeds items [from, to) into the table (recorded as results.seedLarge, summed). */
async function topUp(ctx: BenchContext, table: string, from: number, to: number, results: Partial<Mutable<BenchResults>>): Promise<void> {
  log(`topping up to ${to} items`);
  const ms = await parallelBatchWrite(ctx.dynamodb, table, to - from, (i) => benchItem(from + i), 16);
  const prev = results.seedLarge ?? { items: 0, ms: 0 };
  results.seedLarge = { items: prev.items + to - from, ms: prev.ms + ms };
}

const LAST_RUN = path.join(__dirname, 'last-run.json');

/** Figures 6 and 7 only, merged into the last run's results. */
async function buildOnly(args: Args): Promise<void> {
  if (!fs.existsSync(LAST_RUN)) throw new Error(`${LAST_RUN} does not exist: run "npm run bench" (or --quick) once first`);
  const results = JSON.parse(fs.readFileSync(LAST_RUN, 'utf8')) as Mutable<BenchResults>;
  const errors = results.errors.filter((e) => !e.startsWith('figure 6') && !e.startsWith('figure 7'));
  results.errors = errors;
  results.bundles = await figure('figure 6 (Lambda bundles)', errors, () => measureBundles(args.quick ? 3 : 5));
  results.synth = await figure('figure 7 (cdk synth)', errors, () => measureSynth(args.quick ? 1 : 3));
  results.buildMeasuredAt = new Date().toISOString();
  fs.writeFileSync(LAST_RUN, `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(args.out, renderReport(results));
  log(`wrote ${args.out}`);
}

/** Figure 4 alone: seed, one in-process backup, the restore rounds; prints, writes nothing. */
async function restoreOnly(args: Args): Promise<void> {
  const servers = await startLocalServers({ applyToProcessEnv: true, javaHeap: '2g' });
  try {
    const dynamodb = createDynamoDbClient();
    const s3 = createS3Client();
    const bucket = 'dr-bench-backups';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const ctx: BenchContext = { dynamodb, s3, bucket, env: servers.env, segments: 8, concurrency: 16, rounds: args.rounds };
    const table = 'bench-orders';
    await createBenchTable(dynamodb, table);
    await parallelBatchWrite(dynamodb, table, args.main, benchItem, 16);
    const { runBackup } = await import('../lambda/backup/backup');
    const md = await runBackup({ dynamodb, s3, bucket, tables: [table], tier: 'adhoc', engine: 'scan', segments: ctx.segments });
    const rounds = await measureRestore(ctx, table, md.backupId);
    const ratios = rounds.map((r) => ({
      endToEnd: r.ceilingMs / r.restoreMs,
      writePhase: r.writeMs ? r.ceilingMs / r.writeMs : undefined,
    }));
    console.log(JSON.stringify({ items: args.main, files: md.tableDetails[table].files.length, rounds, ratios }, null, 2));
    log(`median end to end ${median(ratios.map((r) => r.endToEnd)).toFixed(2)}x, write phase ${median(ratios.map((r) => r.writePhase ?? NaN)).toFixed(2)}x`);
  } finally {
    await servers.stop();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.only === 'restore') return restoreOnly(args);
  if (args.buildOnly) return buildOnly(args);
  if (args.only) return onlyFigure(args);
  if (args.renderOnly) {
    // After editing bench/analysis.md: the same numbers, rendered again.
    fs.writeFileSync(args.out, renderReport(JSON.parse(fs.readFileSync(LAST_RUN, 'utf8')) as BenchResults));
    return log(`wrote ${args.out}`);
  }
  const startedAt = new Date();
  const facts = machineFacts();
  const errors: string[] = [];
  log(`sizes ${args.sizes.join(' / ')}, ${args.rounds} rounds${args.quick ? ' (quick)' : ''}`);
  const servers = await startLocalServers({ applyToProcessEnv: true, javaHeap: args.quick ? '2g' : '8g' });
  const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const results: Partial<Mutable<BenchResults>> = { facts, quick: args.quick, command, rounds: args.rounds, startedAt: startedAt.toISOString(), errors };
  try {
    const dynamodb = createDynamoDbClient();
    const s3 = createS3Client();
    const bucket = 'dr-bench-backups';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const ctx: BenchContext = { dynamodb, s3, bucket, env: servers.env, segments: 8, concurrency: 16, rounds: args.rounds };
    results.segments = ctx.segments;
    results.concurrency = ctx.concurrency;
    results.itemBytes = itemSize(benchItem(12345));

    const table = 'bench-orders';
    const [small, requestedLarge] = args.sizes;
    const mainSize = args.main;
    await createBenchTable(dynamodb, table);
    log(`seeding ${mainSize} items`);
    const seedMs = await parallelBatchWrite(dynamodb, table, mainSize, benchItem, 16);
    results.seed = { items: mainSize, ms: seedMs };
    log(`seeded at ${Math.round(mainSize / (seedMs / 1000))} items/s`);

    results.backup = await figure('figures 1-2 (backup vs ceiling vs naive)', errors, () => measureBackup(ctx, table, true));
    results.gzipLevels = await figure('figure 1b (gzip levels)', errors, async () => measureGzipLevels(args.quick ? 5000 : 20000));
    const backupId = results.backup?.map((r) => r.engine.backupId).find(Boolean);
    if (args.profile && results.backup) {
      results.profiles = {};
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-bench-prof-'));
      await figure('profile of one engine backup', errors, async () => {
        await runChild({ mode: 'engine', table, bucket, segments: ctx.segments }, servers.env, ['--cpu-prof', '--cpu-prof-dir', path.join(dir, 'backup')]);
        results.profiles!.backup = summarizeProfile(path.join(dir, 'backup'));
      });
      for (const mode of ['restore', 'validate'] as const) {
        if (!backupId) break;
        await figure(`profile of one ${mode}`, errors, async () => {
          const child = { mode, table, bucket, segments: ctx.segments, backupId, suffix: '-profiled', concurrency: ctx.concurrency };
          await runChild(child, servers.env, ['--cpu-prof', '--cpu-prof-dir', path.join(dir, mode)]);
          results.profiles![mode] = summarizeProfile(path.join(dir, mode));
        });
      }
      await dropTable(dynamodb, `${table}-profiled`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if (backupId) {
      results.restore = await figure('figure 4 (restore vs raw BatchWriteItem)', errors, () => measureRestore(ctx, table, backupId));
      results.validate = await figure('figure 5 (validate vs read+gunzip)', errors, () => measureValidate(ctx, backupId, 4));
    } else errors.push('figures 4-5: no engine backup succeeded, so there is nothing to restore or validate');
    results.catalog = await figure('figure 8 (catalog: dr list for sets of 1 and of 200 files)', errors, () =>
      measureCatalog(s3, catalogShapes(args.quick), args.rounds),
    );

    // Figure 3. At the main size, figure 1's engine runs are whole-table backups in fresh child
    // processes, so they serve as the memory runs; otherwise the table is topped up first.
    const seedRate = mainSize / (seedMs / 1000);
    let smallMem: MemoryFigure | undefined;
    if (small === mainSize && results.backup) {
      const baseline = await runChild({ mode: 'baseline', table, bucket, segments: ctx.segments }, servers.env);
      smallMem = { runs: results.backup.map((r) => r.engine), baseline };
    } else {
      if (small > mainSize) await topUp(ctx, table, mainSize, small, results);
      smallMem = await figure(`figure 3 at ${small} items`, errors, () => measureMemory(ctx, table, 1));
    }
    // DynamoDB Local's Scan slows down as the table grows (time measured to grow by 6 to 12× for
    // 3.2× the items), so the estimate scales the measured backup time quadratically (pessimistic).
    const smallSeconds = smallMem ? median(smallMem.runs.map((r) => r.durationMs)) / 1000 : 60;
    const cost = (n: number) => (n - small) / seedRate + smallSeconds * (n / small) ** 2;
    const budgetS = args.budgetMin * 60;
    let large = requestedLarge;
    while (large > small && cost(large) > budgetS) large = Math.max(small, Math.floor((large * 0.8) / 10000) * 10000);
    results.sizes = { main: mainSize, small, large, requestedLarge, estimatedLargeSeconds: cost(requestedLarge), budgetSeconds: budgetS };
    if (large > small) {
      log(
        `figure 3: ${large} items (requested ${requestedLarge}; estimated ${Math.round(cost(large))} s, requested size ${Math.round(cost(requestedLarge))} s)`,
      );
      await topUp(ctx, table, small, large, results);
      const largeMem = await figure(`figure 3 at ${large} items`, errors, () => measureMemory(ctx, table, 1));
      results.memory = { small: smallMem, large: largeMem };
    } else {
      errors.push(`figure 3: the larger size does not fit the ${args.budgetMin}-minute budget at the measured rates`);
      results.memory = { small: smallMem };
    }
  } finally {
    await servers.stop();
  }

  if (args.build) {
    results.bundles = await figure('figure 6 (Lambda bundles)', errors, () => measureBundles(args.quick ? 3 : 5));
    results.synth = await figure('figure 7 (cdk synth)', errors, () => measureSynth(args.quick ? 1 : 3));
  }
  results.finishedAt = new Date().toISOString();
  results.facts = { ...facts, loadavgAtEnd: machineFacts().loadavgAtStart };
  const full = results as BenchResults;
  fs.writeFileSync(LAST_RUN, `${JSON.stringify(full, null, 2)}\n`);
  fs.writeFileSync(args.out, renderReport(full));
  log(`wrote ${args.out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
