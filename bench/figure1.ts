/**
 * Figure 1 alone (scan engine vs raw parallel Scan), for a quick check of a change without the
 * whole `npm run bench`: same child processes, same rotation, same median ratio; prints the
 * rounds, the CPU of client and servers, and (with --profile) the engine's hot spots. Writes
 * nothing to BENCHMARKS.md.
 *
 *   npx tsx bench/figure1.ts [--items 20000] [--rounds 3] [--profile]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { startLocalServers } from '../cli/support/local-servers';
import { createDynamoDbClient, createS3Client } from '../lambda/shared/clients';
import { measureBackup, medianRatio, rate } from './figures';
import { benchItem, createBenchTable, log, parallelBatchWrite, runChild, wholeNumberArg } from './harness';
import { summarizeProfile } from './profile';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (name: string, d: number) => wholeNumberArg(argv, name, d);
  const items = value('--items', 20000);
  const rounds = value('--rounds', 3);
  const servers = await startLocalServers({ applyToProcessEnv: true, javaHeap: '2g' });
  try {
    const dynamodb = createDynamoDbClient();
    const s3 = createS3Client();
    const bucket = 'dr-bench-backups';
    const table = 'bench-orders';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await createBenchTable(dynamodb, table);
    log(`seeding ${items} items`);
    await parallelBatchWrite(dynamodb, table, items, benchItem, 16);
    const ctx = { dynamodb, s3, bucket, env: servers.env, segments: 8, concurrency: 16, rounds };
    const rows = await measureBackup(ctx, table, false);
    const cpu = (r: { cpuMs?: number; serverCpuMs?: Record<string, number> }) =>
      [r.cpuMs ?? 0, ...Object.values(r.serverCpuMs ?? {})].map((ms) => `${(ms / 1000).toFixed(2)} s`).join(' / ');
    for (const [i, r] of rows.entries()) {
      log(
        `round ${i + 1}: ceiling ${Math.round(rate(r.ceiling))} items/s, engine ${Math.round(rate(r.engine))} items/s, ratio ${(rate(r.engine) / rate(r.ceiling)).toFixed(2)}; CPU ceiling ${cpu(r.ceiling)}, engine ${cpu(r.engine)}`,
      );
    }
    log(
      `median ratio ${medianRatio(
        rows,
        (r) => rate(r.engine),
        (r) => rate(r.ceiling),
      ).toFixed(2)} (load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')})`,
    );
    if (argv.includes('--profile')) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-fig1-prof-'));
      await runChild({ mode: 'engine', table, bucket, segments: 8 }, servers.env, ['--cpu-prof', '--cpu-prof-dir', dir]);
      const p = summarizeProfile(dir, 14);
      for (const h of p?.top ?? []) log(`${(h.share * 100).toFixed(1).padStart(5)} %  ${h.frame}`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await servers.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
