/** `dr plan`: the DR plan rendered from the config and the last drill report. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { loadConfig, parseConfig } from '../../lib/config';
import { PLAN_SCENARIOS, renderPlan } from '../../cli/plan/render';
import { registerPlanCommand } from '../../cli/plan';
import { drillReport } from '../support/drill-report';

const configFile = path.join(__dirname, '../../dr.config.json');
const config = loadConfig(configFile);
const withAccount = parseConfig({ ...JSON.parse(fs.readFileSync(configFile, 'utf8')), primary: { region: 'eu-west-1', account: '123456789012' } });

/** The runbook section of one scenario. */
function section(md: string, title: string): string {
  const start = md.indexOf(`### ${title}`);
  expect(start).toBeGreaterThan(0);
  const end = md.indexOf('\n### ', start + 4);
  return md.slice(start, end < 0 ? md.indexOf('\n## ', start) : end);
}

const report = drillReport({
  passed: true,
  dataset: { seed: 1, requestedItems: 20000, totalItems: 18370, perTable: {} },
  backup: { backupId: 'daily/x', durationMs: 1, items: 1, metrics: [] },
  scenarios: [
    {
      id: 'table-deleted',
      title: 'Table deleted (orders)',
      passed: true,
      rtoMs: 3100,
      rpoMs: 5500,
      items: 2500,
      itemsPerSecond: 800,
      tables: ['orders'],
      verification: [],
      notes: [],
    },
    {
      id: 'region-lost',
      title: 'Primary region lost',
      passed: true,
      rtoMs: 13100,
      rpoMs: 39900,
      items: 18370,
      itemsPerSecond: 1400,
      tables: config.tables.map((t) => t.name),
      verification: [],
      notes: [],
    },
  ],
  targets: {},
});

describe('renderPlan', () => {
  const md = renderPlan(config);

  it('states the targets per data category, table overrides included', () => {
    expect(md).toContain('| orders | orders | 60 min | not drilled | 60 min | not drilled |');
    expect(md).toContain('| catalogue | products | 1440 min | not drilled | 240 min | not drilled |');
    expect(md).toMatch(/No drill report found: run `npm run drill`/);
  });

  it('puts the measured drill figures next to the targets', () => {
    const withReport = renderPlan(config, report);
    expect(withReport).toContain('| orders | orders | 60 min | 39.9 s | 60 min | 13.1 s (Primary region lost) |');
    expect(withReport).toContain('| content | reviews | 1440 min | 39.9 s | 240 min | 13.1 s (Primary region lost) |');
    expect(withReport).toMatch(/\*\*PASSED\*\*, 2\/2 scenarios/);
  });

  it('lists schedules and retention per tier', () => {
    expect(md).toContain('| daily | `cron(0 2 * * ? *)` | 30 days |');
    expect(md).toContain('| weekly | `cron(0 3 ? * SUN *)` | 90 days |');
    expect(md).toContain('| monthly | `cron(0 4 1 * ? *)` | 365 days |');
  });

  it('lists the chained tables, their interval and how long their windows are kept (retention.windowDays)', () => {
    expect(md).toContain(
      '| incremental windows (inventory, orders, order_items, users) | every 30 min | 31 days: `dr restore --at` any minute since the oldest full set still with its windows (docs/rpo.md) |',
    );
  });

  it('says where copies live, how they are encrypted and locked', () => {
    const m = renderPlan(withAccount);
    expect(m).toContain('`s3://shop-backups-123456789012-eu-west-1/backups/` (eu-west-1)');
    expect(m).toContain('`s3://shop-replica-123456789012-eu-central-1/backups/` (eu-central-1)');
    expect(m).toContain('`alias/shop-dr-replica`');
    expect(m).toContain('S3 Object Lock COMPLIANCE, 7 days');
    expect(m).toContain('vault `shop-dr-recovery` (eu-central-1)');
    expect(m).not.toContain('$ACCOUNT');
    expect(md).toMatch(/export ACCOUNT=\$\(aws sts get-caller-identity/);
  });

  it('names who is paged for critical and warning alarms', () => {
    expect(md).toMatch(/Critical.*oncall@example.com.*\+447700900123.*https:\/\/events.pagerduty.com\/integration\/EXAMPLEKEY\/enqueue/);
    expect(md).toMatch(/Warning.*shop-team@example.com/);
    expect(md).toContain('restore test runs `cron(0 5 ? * MON *)` in eu-central-1');
  });

  it('has a runbook for each scenario', () => {
    expect(PLAN_SCENARIOS).toEqual(['Database corruption', 'Accidental deletion', 'Ransomware', 'Region failure', 'Security breach']);
    for (const s of PLAN_SCENARIOS) expect(section(md, s)).toMatch(/```sh\n.*dr /s);
  });

  it("gives this deployment's commands per scenario", () => {
    const p = '--region eu-west-1 --bucket shop-backups-$ACCOUNT-eu-west-1';
    const r = '--region eu-central-1 --bucket shop-replica-$ACCOUNT-eu-central-1';
    expect(section(md, 'Database corruption')).toContain(
      'dr pitr-restore --region eu-west-1 --time <ISO time before the incident> --tables products --suffix -restored --confirm',
    );
    expect(section(md, 'Database corruption')).toContain(`dr restore <backupId> ${p} --tables products --suffix -restored --confirm`);
    expect(section(md, 'Accidental deletion')).toContain(`dr restore latest ${p} --tables products --into-existing --confirm`);
    expect(section(md, 'Ransomware')).toContain(`dr list ${p} --before <T, ISO time>`);
    expect(section(md, 'Ransomware')).toContain(
      '--tables products,product_variants,inventory,orders,order_items,users,customers,reviews,wishlists --suffix -clean --confirm',
    );
    expect(section(md, 'Region failure')).toContain(`dr restore latest ${r} --confirm`);
    expect(section(md, 'Region failure')).toContain('shop-uploads-example-dr-eu-central-1');
    expect(section(md, 'Security breach')).toContain(`dr validate latest ${r}`);
  });

  it('ends with a verification checklist and leaves no undefined values', () => {
    expect(md).toMatch(/## Verification checklist after a recovery\n\n(- \[ \] .+\n){6,}/);
    expect(md).not.toMatch(/undefined|NaN|\[object Object\]|TODO/);
  });

  it('says nobody is paged when a severity has no recipients', () => {
    const none = parseConfig({ ...JSON.parse(fs.readFileSync(configFile, 'utf8')), onCall: {} });
    expect(renderPlan(none)).toMatch(/Critical.*email: nobody \(add recipients to onCall in dr.config.json\)/);
  });
});

describe('dr plan', () => {
  it('writes DR-PLAN.md with the measured figures of the report given', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-'));
    fs.writeFileSync(path.join(dir, 'drill-report.json'), JSON.stringify(report));
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const program = new Command('dr').option('--config <file>').option('--json');
      registerPlanCommand(program);
      await program.parseAsync(
        ['node', 'dr', '--config', configFile, 'plan', '--out', path.join(dir, 'DR-PLAN.md'), '--report', path.join(dir, 'drill-report.json')],
        { from: 'node' },
      );
    } finally {
      err.mockRestore();
    }
    const text = fs.readFileSync(path.join(dir, 'DR-PLAN.md'), 'utf8');
    expect(text).toContain('# Disaster recovery plan: shop');
    expect(text).toContain('13.1 s (Primary region lost)');
  });
});
