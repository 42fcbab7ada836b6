/**
 * The Lambdas' logging and metrics through Powertools (lambda/shared/logger.ts,
 * lambda/shared/emit-metrics.ts): EMF documents with the names, units and dimensions of the one
 * list (and no extra `service` dimension), JSON log lines with the invocation's request id, the
 * level from POWERTOOLS_LOG_LEVEL.
 */
import type { Context } from 'aws-lambda';
import { createMetrics, publishMetrics } from '../../../lambda/shared/emit-metrics';
import { METRIC_NAMESPACE, MetricName } from '../../../lambda/shared/metrics';

/** Lines written to stdout and stderr (Logger writes WARN and ERROR there) while `fn` runs, parsed as JSON. */
function captureJson(fn: () => void): Record<string, unknown>[] {
  let out = '';
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true)),
  );
  try {
    fn();
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const context = { awsRequestId: 'req-123', functionName: 'shop-dr-backup', memoryLimitInMB: '512' } as unknown as Context;

test('publishMetrics: one EMF document per dimension set, names and units from the list, no service dimension', () => {
  const docs = captureJson(() =>
    publishMetrics(
      [
        { name: MetricName.BackupSuccess, value: 1, dimensions: { App: 'shop', Tier: 'daily' } },
        { name: MetricName.BackupDurationSeconds, value: 12.5, dimensions: { App: 'shop', Tier: 'daily' } },
        { name: MetricName.BackupSizeBytes, value: 2048, dimensions: { App: 'shop', Table: 'orders' } },
      ],
      createMetrics(),
    ),
  );
  expect(docs).toHaveLength(2);
  expect(docs[0]).toMatchObject({
    _aws: {
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [['App', 'Tier']],
          Metrics: [
            { Name: 'BackupSuccess', Unit: 'Count' },
            { Name: 'BackupDurationSeconds', Unit: 'Seconds' },
          ],
        },
      ],
    },
    App: 'shop',
    Tier: 'daily',
    BackupSuccess: 1,
    BackupDurationSeconds: 12.5,
  });
  expect(docs[0]).not.toHaveProperty('service');
  expect(docs[1]).toMatchObject({
    _aws: { CloudWatchMetrics: [{ Dimensions: [['App', 'Table']], Metrics: [{ Name: 'BackupSizeBytes', Unit: 'Bytes' }] }] },
    Table: 'orders',
    BackupSizeBytes: 2048,
  });
});

test('publishMetrics: a metric without a unit (the ages) is sent as None', () => {
  const [doc] = captureJson(() => publishMetrics([{ name: MetricName.LatestBackupAgeMinutes, value: 30, dimensions: { App: 'shop' } }], createMetrics()));
  expect(doc).toMatchObject({ _aws: { CloudWatchMetrics: [{ Dimensions: [['App']], Metrics: [{ Name: 'LatestBackupAgeMinutes', Unit: 'None' }] }] } });
});

test('logger: JSON lines with level, message, service and the invocation request id', () => {
  jest.isolateModules(() => {
    const { logger } = jest.requireActual<typeof import('../../../lambda/shared/logger')>('../../../lambda/shared/logger');
    logger.addContext(context);
    const [line] = captureJson(() => logger.info('slot daily/x is busy', { owner: 'req-123/ab' }));
    expect(line).toMatchObject({ level: 'INFO', message: 'slot daily/x is busy', service: 'dr-stack', function_request_id: 'req-123', owner: 'req-123/ab' });
  });
});

test('logger: the level comes from POWERTOOLS_LOG_LEVEL (WARN drops INFO lines)', () => {
  const saved = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
  try {
    jest.isolateModules(() => {
      const { logger } = jest.requireActual<typeof import('../../../lambda/shared/logger')>('../../../lambda/shared/logger');
      const lines = captureJson(() => {
        logger.info('not shown');
        logger.warn('shown');
      });
      expect(lines.map((l) => l.message)).toEqual(['shown']);
    });
  } finally {
    if (saved === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = saved;
  }
});
