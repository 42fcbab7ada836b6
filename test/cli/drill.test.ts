/**
 * The drill end to end against DynamoDB Local + s3rver (the worker's server pair; each run uses
 * its own table prefix and bucket): it passes at a small size (--items 200), and it FAILS when a
 * restore is broken on purpose.
 *
 * Sized for the suite (issue 22): the runs share one recovery-region DynamoDB Local (restored
 * tables keep their run's prefix, so they never meet), and the scenario-5 fault run simulates its
 * day over one chained table (inventory) instead of four: the corrupted item it must catch is in
 * inventory either way, and the day's cost is its windows (23 instead of 92).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig, parseConfig, type DrConfig } from '../../lib/config';
import type { LocalServers } from '../../cli/support/local-servers';
import { runLocalDrill } from '../../cli/drill/run';
import { readDrillReport, type ScenarioId } from '../../cli/drill/report';
import { useLocalServers } from '../support/use-local-servers';
import type { DrillFaults } from '../../cli/drill/scenarios';

const CONFIG_FILE = path.join(__dirname, '../../dr.config.json');
const config = loadConfig(CONFIG_FILE);
/** The example config with a chain on inventory only: orders, order_items and users fall back to the top-level RPO (a day: no chain). */
const oneChainConfig = (): DrConfig => {
  const raw = JSON.parse(fs.readFileSync(CONFIG_FILE, 'utf8')) as { tables: { name: string; targets?: unknown }[] };
  const tables = raw.tables.map(({ targets, ...t }) => (t.name === 'inventory' ? { ...t, targets } : t));
  return parseConfig({ ...raw, tables });
};
const quiet = () => undefined;
const local = useLocalServers();
let recoveryEndpoint: Promise<string> | undefined;
/** The worker's servers, with one recovery-region DynamoDB Local for every run of the file (stopped with the file's servers). */
const servers = (): LocalServers => {
  const s = local.servers;
  return { ...s, startExtraDynamoDb: () => (recoveryEndpoint ??= s.startExtraDynamoDb()), stop: () => s.stop() };
};
/** A drill at --items 200 (tables `<name>-*`, bucket `drill-<name>`) of one scenario, with the given faults injected. */
const faultDrill = (name: string, scenario: ScenarioId, faults: DrillFaults, drillConfig = config) =>
  runLocalDrill({
    config: drillConfig,
    servers: servers(),
    items: 200,
    tablePrefix: `${name}-`,
    bucket: `drill-${name}`,
    scenarios: [scenario],
    faults,
    log: quiet,
  });

describe('dr drill --local (DynamoDB Local + s3rver, Ceph RGW for the uploads scenario)', () => {
  it('passes every scenario at --items 200 and writes drill-report.json/.md', async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-ok-'));
    const report = await runLocalDrill({ config, servers: servers(), items: 200, tablePrefix: 'ok-', bucket: 'drill-ok', outDir, log: quiet });
    expect(report.scenarios.map((s) => [s.id, s.passed, s.error])).toEqual([
      ['table-deleted', true, undefined],
      ['bad-deploy', true, undefined],
      ['ransomware', true, undefined],
      ['region-lost', true, undefined],
      ['region-lost-midday', true, undefined],
      ['uploads-encrypted', true, undefined],
    ]);
    expect(report.passed).toBe(true);
    expect(report.dataset.totalItems).toBeGreaterThan(150);
    // The ransomware and region scenarios restored and verified every item of every table.
    expect(report.scenarios[2].items).toBe(report.dataset.totalItems);
    expect(report.scenarios[3].items).toBe(report.dataset.totalItems);
    // The backup went through the scheduled handler, which emitted its metrics.
    expect(report.backup.metrics).toEqual(expect.arrayContaining(['BackupSuccess', 'BackupRecordCount']));
    // Ransomware: recovered from the set before the infection, not from the (bad) latest.
    expect(report.scenarios[2].backupId).toBe(report.backup.backupId.split('/')[1]);
    expect(report.scenarios[2].notes.join('\n')).toMatch(/latest is daily\//);
    // Uploads: restored to T - 1 min (the originals stamped minutes before T by the gateway's simulated clock).
    const uploads = report.scenarios.find((s) => s.id === 'uploads-encrypted')!;
    expect(uploads.rpoMs).toBe(60_000);
    expect(uploads.notes.join('\n')).toMatch(/simulated clock: .* the restore point is T - 1 min/);
    expect(readDrillReport(path.join(outDir, 'drill-report.json'))?.passed).toBe(true);
    const md = fs.readFileSync(path.join(outDir, 'drill-report.md'), 'utf8');
    expect(md).toMatch(/Result: PASSED/);
    // Engine selection end to end: the report names the engine of every restored table, all three ran
    // (import / bulk put answered by the stand-in, which the report says).
    const engines = report.scenarios.flatMap((s) => s.engines ?? []);
    expect(new Set(engines.map((e) => e.engine))).toEqual(new Set(['import', 'bulk', 'write']));
    expect(report.scenarios[0].engines).toEqual([expect.objectContaining({ source: 'ok-orders', engine: 'bulk' })]);
    expect(report.scenarios[3].engines?.length).toBe(report.dataset && Object.keys(report.dataset.perTable).length);
    expect(md).toMatch(/LOCAL STAND-IN/);
    expect(md).toMatch(/\| table \| restored into \| engine \| why \| re-applied \|/);
    // Scenario 5: the full set + chain from the replica, RPO measured on the simulated day within the schedule's worst case.
    const midday = report.scenarios.find((s) => s.id === 'region-lost-midday')!;
    expect(midday.rpoMs).toBe(37 * 60_000); // 14:37 - 14:00: the 14:00..14:30 windows were still replicating
    expect(midday.timeline).toMatchObject({ simulated: true, worstCaseMinutes: 60 });
    expect(midday.rpoMs).toBeLessThanOrEqual(midday.timeline!.worstCaseMinutes! * 60_000);
    expect(midday.notes.join('\n')).toMatch(/orders: full set \+ 24 windows of 30 min applied .*: 02:00..02:30, /);
    expect(midday.verification.map((v) => v.table)).toEqual(['ok-midday-inventory', 'ok-midday-orders', 'ok-midday-order_items', 'ok-midday-users']);
    expect(md).toMatch(/\| Primary region lost mid-day \(14:37\) \| pass \| .* \| 37.0 min \| 60 min \|/);
    // Six scenarios, one of them on its own Ceph RGW: longer than the default 120 s on a loaded 2-core machine.
  }, 300_000);

  it('fails when one restored item is corrupted on purpose (fault injection)', async () => {
    const report = await faultDrill('bad', 'table-deleted', { corruptRestoredItem: 'table-deleted' });
    expect(report.passed).toBe(false);
    const v = report.scenarios[0].verification[0];
    expect(v.ok).toBe(false);
    expect(v.different).toBe(1);
  });

  it('fails when one item restored from the chain (scenario 5) is corrupted on purpose', async () => {
    const report = await faultDrill('midday', 'region-lost-midday', { corruptRestoredItem: 'region-lost-midday' }, oneChainConfig());
    expect(report.scenarios[0].verification.map((v) => v.table)).toEqual(['midday-midday-inventory']);
    expect(report.passed).toBe(false);
    expect(report.scenarios[0].verification.filter((v) => !v.ok).map((v) => [v.table, v.different])).toEqual([['midday-midday-inventory', 1]]);
  });

  it('fails when a data file of the set is deleted before the restore (restore refused)', async () => {
    const report = await faultDrill('gone', 'bad-deploy', { deleteDataFile: 'bad-deploy' });
    expect(report.passed).toBe(false);
    expect(report.scenarios[0].error).toMatch(/failed validation|refused/);
  });
});
