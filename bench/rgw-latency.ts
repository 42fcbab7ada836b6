/**
 * What `tcp_nodelay=1` on RGW's beast frontend saves (cli/support/rgw/start.sh): two local
 * versioned S3 gateways side by side, one with Nagle's algorithm left on (`RGW_TCP_NODELAY=0`), the
 * same sequential requests on each in alternating rounds: small PutObject, GetObject and
 * CopyObject on a versioned bucket, the requests the bucket restore and the drill's uploads
 * scenario send. Prints the median milliseconds per request and the ratio; writes nothing.
 *
 *   npx tsx bench/rgw-latency.ts [--requests 100] [--rounds 3]
 */
import { CopyObjectCommand, CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startVersionedS3, versionedS3Client, type VersionedS3 } from '../cli/support/versioned-s3';
import { log, median, wholeNumberArg } from './harness';

type Op = 'PutObject' | 'GetObject' | 'CopyObject';
const OPS: readonly Op[] = ['PutObject', 'GetObject', 'CopyObject'];

/** Milliseconds per request of each operation, `n` sequential requests each. */
async function round(s3: S3Client, bucket: string, n: number, r: number): Promise<Record<Op, number>> {
  const body = Buffer.alloc(2048, 'x');
  const timed = async (f: (i: number) => Promise<unknown>) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await f(i);
    return (performance.now() - t0) / n;
  };
  return {
    PutObject: await timed((i) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: `r${r}/k${i}`, Body: body }))),
    GetObject: await timed(async (i) => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `r${r}/k${i}` }))).Body!.transformToByteArray()),
    CopyObject: await timed((i) => s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `r${r}/c${i}`, CopySource: `${bucket}/r${r}/k${i}` }))),
  };
}

async function gateway(nodelay: '0' | '1'): Promise<VersionedS3> {
  const before = process.env.RGW_TCP_NODELAY;
  process.env.RGW_TCP_NODELAY = nodelay;
  try {
    return await startVersionedS3();
  } finally {
    if (before === undefined) delete process.env.RGW_TCP_NODELAY;
    else process.env.RGW_TCP_NODELAY = before;
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (name: string, d: number) => wholeNumberArg(argv, name, d);
  const requests = value('--requests', 100);
  const rounds = value('--rounds', 3);
  const gateways = { on: await gateway('1'), off: await gateway('0') };
  try {
    const clients = { on: versionedS3Client(gateways.on), off: versionedS3Client(gateways.off) };
    for (const c of Object.values(clients)) {
      await c.send(new CreateBucketCommand({ Bucket: 'latency' }));
      await c.send(new PutBucketVersioningCommand({ Bucket: 'latency', VersioningConfiguration: { Status: 'Enabled' } }));
    }
    const results: Record<'on' | 'off', Record<Op, number>[]> = { on: [], off: [] };
    for (let r = 0; r < rounds; r++) {
      // Alternate which gateway goes first, so a change of machine load falls on both.
      for (const k of r % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) results[k].push(await round(clients[k], 'latency', requests, r));
      log(
        `round ${r + 1}: ${OPS.map((op) => `${op} ${results.on[r][op].toFixed(1)} / ${results.off[r][op].toFixed(1)} ms`).join(', ')} (tcp_nodelay on / off)`,
      );
    }
    console.log(
      `\n| request (${requests} sequential, 2 KiB, versioned bucket; median of ${rounds} rounds) | tcp_nodelay=1 (ms) | tcp_nodelay=0 (ms) | off / on |`,
    );
    console.log('|---|---|---|---|');
    for (const op of OPS) {
      const on = median(results.on.map((x) => x[op]));
      const off = median(results.off.map((x) => x[op]));
      console.log(`| ${op} | ${on.toFixed(1)} | ${off.toFixed(1)} | ${(off / on).toFixed(1)}x |`);
    }
    for (const c of Object.values(clients)) c.destroy();
  } finally {
    await gateways.on.stop();
    await gateways.off.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
