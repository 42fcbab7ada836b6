import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dataReplicaBucketName, loadConfig, parseConfig, replicaBucketName, stackNames } from '../../lib/config';
import { ROOT } from './app-fixture';
import { problemsOf } from '../support/config-problems';

const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'dr.config.json'), 'utf8')) as Record<string, unknown>;

/** The example config with top-level fields replaced. */
function withFields(overrides: Record<string, unknown>): Record<string, unknown> {
  return { ...example, ...overrides };
}

describe('dr.config.json', () => {
  it('accepts the shipped example with the documented defaults filled in', () => {
    const c = parseConfig(example);
    expect(c.tables.map((t) => t.name)).toEqual([
      'products',
      'product_variants',
      'inventory',
      'orders',
      'order_items',
      'users',
      'customers',
      'reviews',
      'wishlists',
    ]);
    expect(c.backup.scanSegments).toBe(0);
    expect(c.awsBackup.enabled).toBe(true);
    expect(c.changeThresholds).toEqual({ warningPercent: 25, criticalPercent: 50 });
  });

  it('fills schedule and retention defaults when left out', () => {
    const c = parseConfig(withFields({ schedules: undefined, retention: undefined }));
    expect(c.schedules).toEqual({ daily: 'cron(0 2 * * ? *)', weekly: 'cron(0 3 ? * SUN *)', monthly: 'cron(0 4 1 * ? *)' });
    expect(c.retention).toEqual({ dailyDays: 30, weeklyDays: 90, monthlyDays: 365 });
  });

  it('derives deterministic names from the app name and account', () => {
    const c = parseConfig(example);
    expect(replicaBucketName(c, '123456789012')).toBe('shop-replica-123456789012-eu-central-1');
    expect(dataReplicaBucketName(c, 'shop-uploads-example')).toBe('shop-uploads-example-dr-eu-central-1');
    expect(stackNames(c)).toEqual({ production: 'Shop-Production', recovery: 'Shop-Recovery' });
  });

  describe('rejects a bad config with a message naming the field, the value and the fix', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        'same region twice',
        withFields({ recovery: { region: 'eu-west-1' } }),
        /recovery\.region: recovery\.region must differ from primary\.region \(both are eu-west-1\); pick a second region such as "eu-central-1"/,
      ],
      [
        'malformed region',
        withFields({ primary: { region: 'Ireland' } }),
        /primary\.region: primary\.region is not an AWS region \(the \d+ regions aws-cdk-lib.s region-info knows, such as "eu-west-1"; .*\(got "Ireland"\)/,
      ],
      ['short account id', withFields({ primary: { region: 'eu-west-1', account: '1234' } }), /primary\.account: .*12-digit AWS account id.*\(got "1234"\)/],
      ['upper-case app name', withFields({ appName: 'Shop' }), /appName: appName must be 3-24 characters of lower-case letters.*\(got "Shop"\)/],
      ['no tables', withFields({ tables: [] }), /tables: tables must list at least one DynamoDB table to protect/],
      [
        'created table without a key',
        withFields({ tables: [{ name: 'carts' }] }),
        /tables\[0\]\.partitionKey: table "carts" is created by the stack \(existing: false\) and needs a partitionKey.*or set "existing": true/,
      ],
      [
        'table listed twice',
        withFields({
          tables: [
            { name: 'carts', existing: true },
            { name: 'carts', existing: true },
          ],
        }),
        /tables\[1\]\.name: table "carts" is listed twice; list each table once/,
      ],
      [
        'bad key attribute type',
        withFields({ tables: [{ name: 'carts', partitionKey: { name: 'id', type: 'X' } }] }),
        /tables\[0\]\.partitionKey\.type: key attribute type must be "S", "N" or "B" \(got "X"\)/,
      ],
      [
        'five-field cron',
        withFields({ schedules: { daily: 'cron(0 2 * * *)' } }),
        /schedules\.daily: must be an EventBridge expression such as "cron\(0 2 \* \* \? \*\)" \(six fields\).*\(got "cron\(0 2 \* \* \*\)"\)/,
      ],
      [
        'shrinking retention',
        withFields({ retention: { dailyDays: 100, weeklyDays: 90, monthlyDays: 365 } }),
        /retention: retention must grow with the tier: dailyDays \(100\) <= weeklyDays \(90\) <= monthlyDays \(365\)/,
      ],
      [
        'object lock longer than daily retention',
        withFields({ objectLock: { mode: 'GOVERNANCE', days: 40 } }),
        /objectLock\.days: objectLock\.days \(40\) must not exceed retention\.dailyDays \(30\).*lower objectLock\.days or raise retention\.dailyDays/,
      ],
      [
        'unknown object lock mode',
        withFields({ objectLock: { mode: 'LEGAL', days: 7 } }),
        /objectLock\.mode: objectLock\.mode must be "GOVERNANCE" or "COMPLIANCE" \(got "LEGAL"\)/,
      ],
      [
        'http on-call endpoint',
        withFields({ onCall: { critical: { https: ['http://events.example.com/x'] } } }),
        /onCall\.critical\.https\[0\]: must be an https:\/\/ URL/,
      ],
      [
        'phone number not E.164',
        withFields({ onCall: { critical: { sms: ['07700 900123'] } } }),
        /onCall\.critical\.sms\[0\]: must be a phone number in E\.164 form such as "\+447700900123" \(got "07700 900123"\)/,
      ],
      ['bad email', withFields({ onCall: { warning: { emails: ['ops'] } } }), /onCall\.warning\.emails\[0\]: must be an email address/],
      [
        'warning threshold above critical',
        withFields({ changeThresholds: { warningPercent: 60, criticalPercent: 50 } }),
        /changeThresholds\.warningPercent \(60\) must be below criticalPercent \(50\)/,
      ],
      [
        'RPO under what a chain of incremental exports can meet',
        withFields({ targets: { rpoMinutes: 15, rtoMinutes: 60 } }),
        /targets\.rpoMinutes: targets\.rpoMinutes \(15\) is below what can be met: the shortest chain .* 45 minutes.*use at least 45/,
      ],
      ['unknown engine', withFields({ backup: { engine: 'pitr' } }), /backup\.engine: backup\.engine must be "auto", "scan" or "export" \(got "pitr"\)/],
      [
        'data bucket whose replica name is too long',
        withFields({ dataBuckets: [{ name: 'a'.repeat(50) }] }),
        /dataBuckets\[0\]\.name: bucket "a{50}" gets the replica "a{50}-dr-eu-central-1".*use a bucket name of at most 47 characters/,
      ],
    ];
    it.each(cases)('%s', (_name, raw, message) => {
      expect(problemsOf(raw)).toMatch(message);
    });
  });

  it('reports every problem at once, one per line', () => {
    const problems = problemsOf(withFields({ appName: 'X', tables: [] })).split('\n');
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^appName: .*\(got "X"\)/), expect.stringMatching(/^tables: /)]));
  });

  it('names a missing file and the fix', () => {
    expect(() => loadConfig(path.join(os.tmpdir(), 'no-such-dr.config.json'))).toThrow(
      /file not found at .*no-such-dr\.config\.json; copy dr\.config\.json from the repository root/,
    );
  });

  it('names invalid JSON', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'drcfg-')), 'dr.config.json');
    fs.writeFileSync(file, '{ "appName": ');
    expect(() => loadConfig(file)).toThrow(/not valid JSON/);
  });
});

describe('issue 13 #1: dataBuckets[].kmsKeyArn and objectLock', () => {
  const bucket = (extra: Record<string, unknown>) => withFields({ dataBuckets: [{ name: 'shop-uploads-example', ...extra }] });
  it('accepts a key ARN of the primary region and Object Lock, defaulting objectLock to false', () => {
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(parseConfig(bucket({ kmsKeyArn: key, objectLock: true })).dataBuckets[0]).toMatchObject({ kmsKeyArn: key, objectLock: true });
    expect(parseConfig(bucket({})).dataBuckets[0].objectLock).toBe(false);
  });
  it('refuses a data bucket key in another region than primary.region, naming the setting, the value and the fix', () => {
    expect(problemsOf(bucket({ kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' }))).toMatch(
      /dataBuckets\[0\]\.kmsKeyArn: dataBuckets\[0\]\.kmsKeyArn \(bucket "shop-uploads-example"\) is in us-east-1 but the bucket is in primary\.region \(eu-west-1\).*get-bucket-encryption.*\(got "arn:aws:kms:us-east-1:/,
    );
  });
  it('refuses an alias or a key id instead of a key ARN', () => {
    expect(problemsOf(bucket({ kmsKeyArn: 'alias/aws/s3' }))).toMatch(
      /kmsKeyArn \(bucket "shop-uploads-example"\) must be a KMS key ARN such as "arn:aws:kms:eu-west-1:/,
    );
    expect(problemsOf(bucket({ kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/media' }))).toMatch(/must be a KMS key ARN/);
  });
});

describe('the CDK app (bin/app.ts) with a bad config', () => {
  it('fails before synthesising, exit 1, with the message naming the setting, the value and the fix', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drcfg-'));
    const file = path.join(dir, 'dr.config.json');
    fs.writeFileSync(file, JSON.stringify(withFields({ recovery: { region: 'eu-west-1' } })));
    const out = path.join(dir, 'cdk.out');
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'bin/app.ts'], {
      cwd: ROOT,
      env: { ...process.env, DR_CONFIG: file, CDK_OUTDIR: out },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/recovery\.region must differ from primary\.region \(both are eu-west-1\); pick a second region such as "eu-central-1"/);
    expect(r.stderr).toContain(file);
    expect(fs.existsSync(out)).toBe(false);
  });
});
