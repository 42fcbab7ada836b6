/** The drill's pure parts: dataset, hashing, table inputs, arguments, report rendering. */
import * as path from 'node:path';
import { marshall } from '@aws-sdk/util-dynamodb';
import { loadConfig } from '../../lib/config';
import { countShop, generateShop } from '../../cli/drill/dataset';
import { canonicalValue, hashItem, itemKey } from '../../cli/drill/verify';
import { awsEnvironment, deleteTablesWithPrefix, schemaFromConfig } from '../../cli/drill/environment';
import { createTableInput } from '../../lambda/restore/tables';
import { parseItems, summaryLines } from '../../cli/drill';
import { renderDrillMarkdown } from '../../cli/drill/report';
import { drillReport } from '../support/drill-report';
import { drillTables } from '../../cli/drill/run';
import { Command } from 'commander';
import { mockClient } from 'aws-sdk-client-mock';
import { DeleteTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { registerDrillCommand } from '../../cli/drill';

const config = loadConfig(path.join(__dirname, '../../dr.config.json'));

describe('shop dataset', () => {
  it('is deterministic for a seed and differs for another', () => {
    expect(generateShop(500, 7)).toEqual(generateShop(500, 7));
    expect(generateShop(500, 7)).not.toEqual(generateShop(500, 8));
  });

  it('scales with --items', () => {
    const small = countShop(generateShop(1000));
    const big = countShop(generateShop(10000));
    expect(big).toBeGreaterThan(small * 8);
    expect(big).toBeLessThan(11000);
  });

  it('links order items to variant SKUs, orders to customers, reviews to products and users', () => {
    const d = generateShop(2000);
    const skus = new Set(d.product_variants.map((v) => v.sku));
    const customers = new Set(d.customers.map((c) => c.customerId));
    const products = new Set(d.products.map((p) => p.productId));
    const users = new Set(d.users.map((u) => u.userId));
    const orders = new Set(d.orders.map((o) => o.orderId));
    expect(d.order_items.every((i) => skus.has(i.sku) && orders.has(i.orderId))).toBe(true);
    expect(d.orders.every((o) => customers.has(o.customerId as string))).toBe(true);
    expect(d.reviews.every((r) => products.has(r.productId) && users.has(r.userId))).toBe(true);
    expect(d.wishlists.every((w) => products.has(w.productId) && users.has(w.userId))).toBe(true);
    expect(d.inventory.map((i) => i.sku).sort()).toEqual([...skus].sort());
  });

  it('has unique keys per table (a duplicate would make a table smaller than the snapshot)', () => {
    const d = generateShop(3000);
    const keys = (xs: Record<string, unknown>[], k: string[]) => new Set(xs.map((x) => k.map((n) => x[n]).join('|'))).size;
    expect(keys(d.wishlists, ['userId', 'productId'])).toBe(d.wishlists.length);
    expect(keys(d.order_items, ['orderId', 'lineNo'])).toBe(d.order_items.length);
    expect(keys(d.product_variants, ['productId', 'variantId'])).toBe(d.product_variants.length);
  });
});

describe('item hashing', () => {
  it('ignores attribute order and set order', () => {
    expect(hashItem({ a: { S: 'x' }, s: { SS: ['b', 'a'] } })).toBe(hashItem({ s: { SS: ['a', 'b'] }, a: { S: 'x' } }));
  });

  it('changes with any value', () => {
    const item = marshall({ id: 'p-1', price: 10.5, tags: ['a'] });
    expect(hashItem(item)).not.toBe(hashItem({ ...item, price: { N: '10.51' } }));
  });

  it('keys items by their key attributes only', () => {
    expect(itemKey({ pk: { S: 'a' }, sk: { N: '1' }, other: { S: 'z' } }, ['pk', 'sk'])).toBe(JSON.stringify([{ S: 'a' }, { N: '1' }]));
    expect(canonicalValue({ M: { b: { S: '1' }, a: { S: '2' } } })).toEqual({ M: { a: { S: '2' }, b: { S: '1' } } });
  });
});

describe('drill environment', () => {
  it('creates tables with the config keys and GSIs', () => {
    const input = createTableInput('x-orders', schemaFromConfig(config.tables.find((t) => t.name === 'orders')!));
    expect(input.TableName).toBe('x-orders');
    expect(input.KeySchema).toEqual([{ AttributeName: 'orderId', KeyType: 'HASH' }]);
    expect(input.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: 'byCustomer',
      KeySchema: [
        { AttributeName: 'customerId', KeyType: 'HASH' },
        { AttributeName: 'createdAt', KeyType: 'RANGE' },
      ],
    });
    expect(input.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'customerId', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'S' },
      ]),
    );
  });

  it('uses the config tables the generator knows, with the prefix', () => {
    expect(drillTables(config, 'p-').map((t) => t.name)).toContain('p-order_items');
    expect(drillTables(config, '').find((t) => t.source === 'order_items')?.keyNames).toEqual(['orderId', 'lineNo']);
    expect(() => drillTables({ ...config, tables: [{ ...config.tables[0], name: 'ledger' }] }, '')).toThrow(/example shop tables/);
  });

  it('AWS mode runs in the recovery region with scratch tables (argument checks only: no AWS account here)', async () => {
    const env = awsEnvironment({ config, bucket: 'shop-drill-a', replicaBucket: 'shop-drill-b', tablePrefix: 'drill-1-' });
    expect(env.mode).toBe('aws');
    expect(await env.dynamodb.config.region()).toBe('eu-central-1');
    expect(env.handlerEnv).toMatchObject({ AWS_REGION: 'eu-central-1', ENGINE: 'scan' });
    expect((await env.recovery()).suffix).toBe('-dr');
    expect(() => awsEnvironment({ config, bucket: 'shop-drill-same', replicaBucket: 'shop-drill-same' })).toThrow(/two different scratch buckets/);
  });

  it('AWS mode refuses scratch buckets outside <app>-drill-* (all the drill policy grants), naming them and the fix', () => {
    expect(() => awsEnvironment({ config, bucket: 'shop-drill-a', replicaBucket: 'media-scratch' })).toThrow(
      'dr drill on AWS writes only to scratch buckets named shop-drill-* (all that shop-dr-operator-drill grants): "media-scratch" is not; create two empty buckets in eu-central-1, e.g. shop-drill-backups and shop-drill-replica, and pass them as --bucket and --replica-bucket',
    );
  });

  it('AWS mode names its scratch tables <app>-drill-<time>-', () => {
    expect(awsEnvironment({ config, bucket: 'shop-drill-a', replicaBucket: 'shop-drill-b' }).tablePrefix).toMatch(/^shop-drill-\d{14}-$/);
  });

  it('AWS cleanup deletes only the scratch tables of the run, over every ListTables page (aws-sdk-client-mock)', async () => {
    const ddb = mockClient(DynamoDBClient);
    try {
      ddb
        .on(ListTablesCommand, { ExclusiveStartTableName: undefined })
        .resolves({ TableNames: ['drill-1-orders', 'orders', 'drill-10-orders'], LastEvaluatedTableName: 'drill-10-orders' })
        .on(ListTablesCommand, { ExclusiveStartTableName: 'drill-10-orders' })
        .resolves({ TableNames: ['drill-1-orders-clean', 'products'] })
        .on(DeleteTableCommand)
        .resolves({});
      const env = awsEnvironment({ config, bucket: 'shop-drill-a', replicaBucket: 'shop-drill-b', tablePrefix: 'drill-1-' });
      await env.cleanup();
      expect(ddb.commandCalls(DeleteTableCommand).map((c) => c.args[0].input.TableName)).toEqual(['drill-1-orders', 'drill-1-orders-clean']);
    } finally {
      ddb.restore();
    }
  });

  it('refuses to delete tables without a prefix', async () => {
    const env = awsEnvironment({ config, bucket: 'shop-drill-a', replicaBucket: 'shop-drill-b' });
    await expect(deleteTablesWithPrefix(env.dynamodb, '')).rejects.toThrow(/without a prefix/);
  });
});

describe('dr drill arguments', () => {
  it('checks --items', () => {
    expect(parseItems(undefined)).toBe(20000);
    expect(parseItems('500')).toBe(500);
    expect(() => parseItems('12')).toThrow(/--items must be a whole number/);
    expect(() => parseItems('abc')).toThrow(/--items/);
  });

  it('without --local asks for two scratch buckets and exits 1', async () => {
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      process.exitCode = undefined;
      const program = new Command('dr').option('--config <file>').option('--bucket <name>').option('--profile <name>').option('--region <r>').option('--json');
      registerDrillCommand(program);
      await program.parseAsync(['node', 'dr', '--config', path.join(__dirname, '../../dr.config.json'), 'drill'], { from: 'node' });
      expect(process.exitCode).toBe(1);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/recovery region \(eu-central-1\).*--replica-bucket/);
    } finally {
      process.exitCode = undefined;
      err.mockRestore();
    }
  });
});

describe('drill report', () => {
  const report = drillReport({
    passed: false,
    dataset: { seed: 1, requestedItems: 200, totalItems: 187, perTable: { orders: 25 } },
    backup: { backupId: 'daily/2026-11-23T17-00-01-000Z', durationMs: 2000, items: 187, metrics: ['BackupSuccess'] },
    scenarios: [
      {
        id: 'table-deleted',
        title: 'Table deleted (orders)',
        passed: false,
        rtoMs: 1500,
        rpoMs: 4000,
        items: 24,
        itemsPerSecond: 16,
        backupId: '2026-11-23T17-00-01-000Z',
        tables: ['orders'],
        notes: ['DeleteTable orders'],
        verification: [
          { table: 'orders', expected: 25, actual: 25, matched: 24, missing: 0, unexpected: 0, different: 1, examples: ['different ["o-1"]'], ok: false },
        ],
      },
    ],
    targets: { orders: { rpoMinutes: 1440, rtoMinutes: 60 } },
  });

  it('renders the failure, the figures and the mismatching key', () => {
    const md = renderDrillMarkdown(report);
    expect(md).toMatch(/Result: FAILED/);
    expect(md).toContain('| Table deleted (orders) | **FAIL** | 1.5 s | 4.0 s | - | 24 | 16 |');
    expect(md).toContain('different ["o-1"]');
    expect(summaryLines(report)[0]).toMatch(/drill FAILED in 60.0 s/);
  });

  it('lines the terminal summary up when a title is longer than the usual column (RTO at the same place on every line)', () => {
    const long = { ...report, scenarios: [report.scenarios[0], { ...report.scenarios[0], title: 'Primary region lost mid-day (14:37), a long title' }] };
    const lines = summaryLines(long).slice(1);
    expect(lines).toHaveLength(2);
    expect(new Set(lines.map((l) => l.indexOf(' RTO '))).size).toBe(1);
  });
});
