/**
 * Engine selection, the refusals that come before any request, the config setting, and the
 * dry-run estimate. Pure: no servers, no SDK calls.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, parseConfig } from '../../../../lib/config';
import {
  checkEngineTarget,
  decideEngine,
  chooseEngine,
  importThreshold,
  isLocalDynamoDbEndpoint,
  parseEngineChoice,
} from '../../../../lambda/restore/engines/select';
import { estimateDuration, renderDryRun, writeUnits } from '../../../../lambda/restore/engines/dry-run';
import { engineRequest } from '../../../../lambda/restore/engines/run-engine';
import type { TableBackupRecord } from '../../../../lambda/format/backup-set';
import { FIXTURE_SCHEMA } from '../../../support/native-export-fixture';
import { ROOT } from '../../../lib/app-fixture';

const GiB = 1024 ** 3;
const aws = {} as NodeJS.ProcessEnv;
const local = { AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' } as NodeJS.ProcessEnv;

describe('auto', () => {
  test('new table above the threshold: import; existing: bulk; at or below it: write', () => {
    expect(chooseEngine({ bytes: 2 * GiB, intoExisting: false }, {}, aws)).toBe('import');
    // Issue 18 item 3: bulk put's IAM names are unpublished, so auto writes into an existing table.
    expect(chooseEngine({ bytes: 2 * GiB, intoExisting: true }, {}, aws)).toBe('write');
    expect(decideEngine({ bytes: 2 * GiB, intoExisting: true }, {}, aws).reason).toMatch(
      /auto never picks bulk put: bulk put's IAM action names are not in AWS's Service Authorization Reference/,
    );
    expect(chooseEngine({ bytes: GiB, intoExisting: false }, {}, aws)).toBe('write');
    expect(chooseEngine({ bytes: 10, intoExisting: false }, { importThresholdBytes: 0 }, aws)).toBe('import');
  });

  test("issue 18 item 12: a table over ImportTable's per-region size limit is written, not imported (1 TB in eu-central-1, 15 TB in eu-west-1)", () => {
    const big = { bytes: 4e12, intoExisting: false, storedBytes: 2e12 };
    expect(decideEngine({ ...big, region: 'eu-central-1' }, {}, aws)).toEqual({
      engine: 'write',
      reason: expect.stringMatching(/over ImportTable's 1 TB limit in eu-central-1 \(DynamoDB developer guide, "Import format quotas and validation"\)/),
    });
    expect(chooseEngine({ ...big, region: 'eu-west-1' }, {}, aws)).toBe('import');
    expect(() => decideEngine({ ...big, region: 'eu-central-1' }, { engine: 'import' }, aws)).toThrow(
      /--engine import cannot load this table: its data files are 2000000000000 bytes, over ImportTable's 1 TB limit in eu-central-1.*use --engine write/,
    );
  });

  test('a local endpoint always gets write, unless the drill stand-ins answer import / bulk put', () => {
    expect(decideEngine({ bytes: 5 * GiB, intoExisting: false }, {}, local)).toEqual({ engine: 'write', reason: expect.stringMatching(/endpoint is local/) });
    expect(chooseEngine({ bytes: 5 * GiB, intoExisting: false }, { standIns: true }, local)).toBe('import');
  });

  test('a table with LSIs is written, not imported (ImportTable cannot create LSIs); --engine import refuses it', () => {
    expect(decideEngine({ bytes: 5 * GiB, intoExisting: false, localSecondaryIndexes: 1 }, {}, aws).engine).toBe('write');
    expect(() => decideEngine({ bytes: 5, intoExisting: false, localSecondaryIndexes: 1 }, { engine: 'import' }, aws)).toThrow(/local secondary indexes/);
  });

  test('an explicit engine is kept, with the reason saying it was asked for', () => {
    expect(decideEngine({ bytes: 1, intoExisting: true }, { engine: 'bulk' }, local)).toEqual({ engine: 'bulk', reason: '--engine bulk' });
  });
});

test('loopback endpoints are local; AWS and unset are not', () => {
  expect(isLocalDynamoDbEndpoint(local)).toBe(true);
  expect(isLocalDynamoDbEndpoint({ AWS_ENDPOINT_URL: 'http://localhost:4566' } as NodeJS.ProcessEnv)).toBe(true);
  expect(isLocalDynamoDbEndpoint({ AWS_ENDPOINT_URL_DYNAMODB: 'https://dynamodb.eu-central-1.amazonaws.com' } as NodeJS.ProcessEnv)).toBe(false);
  expect(isLocalDynamoDbEndpoint(aws)).toBe(false);
});

describe('refused before any request', () => {
  test('--engine import into an existing table', () => {
    expect(() => checkEngineTarget('import', 'orders', true)).toThrow(
      /--engine import cannot load "orders": the table exists, and ImportTable only creates a new table/,
    );
  });
  test('--engine bulk into a missing table', () => {
    expect(() => checkEngineTarget('bulk', 'orders-restored', false)).toThrow(/--engine bulk cannot load "orders-restored": the table does not exist/);
  });
  test('the right engine for the target passes', () => {
    expect(() => checkEngineTarget('import', 'x', false)).not.toThrow();
    expect(() => checkEngineTarget('bulk', 'x', true)).not.toThrow();
  });
  test('a negative threshold names the setting, the value and the fix', () => {
    expect(() => importThreshold({ importThresholdBytes: -1 })).toThrow(/restore.importThresholdBytes must be 0 or more \(got -1\).*use 0 to always use them/);
  });
  test('an unknown --engine lists the engines', () => {
    expect(() => parseEngineChoice('fast')).toThrow(/--engine must be one of auto, import, bulk, write \(got "fast"\)/);
  });
});

describe('restore.importThresholdBytes in dr.config.json', () => {
  const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'dr.config.json'), 'utf8')) as Record<string, unknown>;
  test('defaults to 1 GiB and auto', () => {
    expect(parseConfig(example).restore).toEqual({ importThresholdBytes: GiB, engine: 'auto' });
  });
  test('below zero fails (at synth: bin/app.ts loads the config through parseConfig) with a clear message', () => {
    let err: unknown;
    try {
      parseConfig({ ...example, restore: { importThresholdBytes: -5 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.join('\n')).toMatch(
      /restore\.importThresholdBytes: restore\.importThresholdBytes must be a whole number of bytes, 0 or more.*use 0 to always use them.*\(got -5\)/,
    );
  });
  test('the restore test cannot be set to bulk put (its tables are new)', () => {
    expect(() => parseConfig({ ...example, restore: { engine: 'bulk' } })).toThrow(/restore.engine .* must be "auto", "import" or "write"/);
  });
});

describe('dry-run estimate', () => {
  const record: TableBackupRecord = {
    table: 'orders',
    engine: 'export',
    schema: FIXTURE_SCHEMA,
    exportFolder: 'backups/daily/B/orders/AWSDynamoDB/E/',
    itemCount: 1_000_000,
    bytes: 1_500_000_000,
    storedBytes: 3e8,
    files: [],
  };
  const t = { backupId: 'B', source: 'orders', target: 'orders-restored', record };

  test('write units: one per started KB of the average item', () => {
    expect(writeUnits(1000, 1000 * 1500)).toBe(2000);
    expect(writeUnits(10, 100)).toBe(10);
  });

  test('bulk: bounded by MaxWriteRequestUnits, stated as a lower bound', () => {
    const req = engineRequest('bulk', t, 'bkt', { maxWriteRequestUnits: 2000 }, true);
    const e = estimateDuration(req, record);
    expect(e.seconds).toBe(Math.ceil(writeUnits(1_000_000, 1_500_000_000) / 2000));
    expect(e.assumptions.join('\n')).toMatch(/MaxWriteRequestUnits = 2000.*lower bound/);
  });

  test('import: the assumed rate is labelled as an assumption; the text block shows engine, prefix and the request JSON', () => {
    const req = engineRequest('import', t, 'bkt', {}, false);
    const e = estimateDuration(req, record);
    expect(e.assumptions.join('\n')).toMatch(/ASSUMED \(AWS publishes no import rate\)/);
    const text = renderDryRun([
      {
        source: 'orders',
        target: 'orders-restored',
        engine: 'import',
        reason: 'auto',
        items: 1_000_000,
        bytes: 1_500_000_000,
        s3Prefix: 's3://bkt/x/data/',
        request: req,
        estimate: e,
      },
    ]);
    expect(text).toMatch(/engine: +import/);
    expect(text).toMatch(/S3 prefix: s3:\/\/bkt\/x\/data\//);
    expect(text).toMatch(/"InputCompressionType": "GZIP"/);
    expect(text).toMatch(/estimate: +\d+ min, assuming:/);
  });
});
