import { startLocalServers } from '../cli/support/local-servers';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { benchItem, createBenchTable, parallelBatchWrite } from './harness';
import { rawParallelScan } from './ceilings';
(async () => {
  const s = await startLocalServers({ applyToProcessEnv: true, javaHeap: '4g' });
  const a = new DynamoDBClient({ maxAttempts: 10, retryMode: 'adaptive' });
  const b = new DynamoDBClient({ maxAttempts: 10, retryMode: 'adaptive', logger: { debug() {}, warn() {}, error() {} } as never });
  await createBenchTable(a, 'probe1');
  let have = 0;
  for (const size of [50000, 100000, 200000]) {
    const t0 = performance.now();
    await parallelBatchWrite(a, 'probe1', size - have, (i) => benchItem(have + i), 16);
    console.log('seed', size - have, Math.round((size - have) / ((performance.now() - t0) / 1000)), 'items/s');
    have = size;
    for (let r = 0; r < 2; r++) for (const [n, c] of [['default', a], ['no-info', b]] as const) {
      const t = performance.now(); const cpu = process.cpuUsage();
      const res = await rawParallelScan(c, 'probe1', 8);
      const u = process.cpuUsage(cpu);
      const ms = performance.now() - t;
      console.log(size, n, res.items, Math.round(res.items / (ms / 1000)), 'items/s', Math.round((u.user + u.system) / 1000), 'ms cpu');
    }
  }
  await s.stop();
})();
