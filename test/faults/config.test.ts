/**
 * Fault suite, bad config: each case feeds `dr plan --config <file>` a broken dr.config.json and
 * checks the exit code, that the message names the file, the JSON path, the value and the fix,
 * and that nothing was written (no plan file).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { registerPlanCommand } from '../../cli/plan';
import { runCli, testProgram } from '../support/run-cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-faults-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const good = (): Record<string, unknown> & { tables: Record<string, unknown>[] } =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '../../dr.config.json'), 'utf8'));

/** Writes `text` as a config file, runs `dr plan` on it, returns the run and whether a plan was written. */
async function plan(name: string, text: string) {
  const file = path.join(dir, `${name}.json`);
  const out = path.join(dir, `${name}.md`);
  fs.writeFileSync(file, text);
  const run = await runCli(testProgram(registerPlanCommand), ['--config', file, 'plan', '--out', out, '--report', path.join(dir, 'none.json')]);
  return { ...run, file, wrote: fs.existsSync(out) };
}
const planOf = (name: string, edit: (c: ReturnType<typeof good>) => void) => {
  const c = good();
  edit(c);
  return plan(name, JSON.stringify(c, null, 2));
};

describe('bad config is refused with a clear message, nothing written', () => {
  it('unknown key "sortkey" in a table: names tables[1].sortkey and suggests "sortKey"', async () => {
    const r = await planOf('sortkey', (c) => {
      c.tables[1].sortkey = c.tables[1].sortKey;
      delete c.tables[1].sortKey;
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${r.file} is not a valid dr-stack config`);
    expect(r.stderr).toContain('tables[1].sortkey: unknown setting; did you mean "sortKey"?');
    expect(r.wrote).toBe(false);
  });

  it('unknown top-level key "retension": suggests "retention"', async () => {
    const r = await planOf('retension', (c) => (c.retension = { dailyDays: 7 }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('retension: unknown setting; did you mean "retention"?');
    expect(r.wrote).toBe(false);
  });

  it('unknown key with nothing close: lists the settings of that object', async () => {
    const r = await planOf('zzz', (c) => ((c.primary as Record<string, unknown>).qqqqqqqq = 1));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('primary.qqqqqqqq: unknown setting; the settings here are account, region');
  });

  it('wrong type: rpoMinutes as a string names the field and the value', async () => {
    const r = await planOf('type', (c) => (c.targets = { rpoMinutes: '1440', rtoMinutes: 240 }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/targets\.rpoMinutes: .*number.*\(got "1440"\)/);
    expect(r.wrote).toBe(false);
  });

  it('a table listed twice', async () => {
    const r = await planOf('dup', (c) => c.tables.push({ ...c.tables[0] }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`tables[${good().tables.length}].name: table "products" is listed twice; list each table once`);
    expect(r.wrote).toBe(false);
  });

  it('a made-up region "eu-west-9": not an AWS region, did you mean "eu-west-1"', async () => {
    const r = await planOf('region', (c) => (c.primary = { region: 'eu-west-9' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('primary.region: primary.region is not an AWS region; did you mean "eu-west-1"?');
    expect(r.stderr).toContain('(got "eu-west-9")');
    expect(r.wrote).toBe(false);
  });

  it('the same region for primary and recovery', async () => {
    const r = await planOf('same-region', (c) => (c.recovery = { region: 'eu-west-1' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('recovery.region must differ from primary.region (both are eu-west-1)');
  });

  it('an empty file', async () => {
    const r = await plan('empty', '');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the file is empty: it must hold a JSON object');
    expect(r.wrote).toBe(false);
  });

  it('invalid JSON (a trailing comma): line and column, what was expected', async () => {
    const r = await plan('syntax', '{\n  "appName": "shop",\n  "tables": [\n    { "name": "orders" },\n  ]\n}\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not valid JSON at line 5, column 3: expected a value (no comma after the last element, none doubled), found "]"');
    expect(r.wrote).toBe(false);
  });

  it('invalid JSON (a missing quote): line and column', async () => {
    const r = await plan('quote', '{\n  "appName": "shop,\n  "x": 1\n}');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not valid JSON at line 2, column \d+: expected a closing quote/);
  });

  it('a missing file: names the path and the fix', async () => {
    const file = path.join(dir, 'nope.json');
    const r = await runCli(testProgram(registerPlanCommand), ['--config', file, 'plan', '--out', '-']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`file not found at ${file}; copy dr.config.json from the repository root or pass --config <file>`);
  });
});

describe('dr plan --config X', () => {
  it('says the plan was generated from X, not dr.config.json', async () => {
    const r = await planOf('other-name', () => undefined);
    expect(r.code).toBe(0);
    const text = fs.readFileSync(path.join(dir, 'other-name.md'), 'utf8');
    expect(text).toContain(`Generated by \`dr plan\` from ${r.file}`);
  });
});

describe('cron schedules a deploy would reject are refused by the config (issue #23, defect 11; EventBridge "Cron expressions reference")', () => {
  it.each([
    ['cron(99 2 * * ? *)', /schedules\.daily "cron\(99 2 \* \* \? \*\)" field 1 \(Minutes\): 99 is outside Minutes's 0-59: EventBridge refuses it at deploy/],
    ['cron(0 25 * * ? *)', /field 2 \(Hours\): 25 is outside Hours's 0-23/],
    ['cron(0 2 * 13 ? *)', /field 4 \(Month\): 13 is outside Month's 1-12/],
    ['cron(0 2 * * ? 2300)', /field 6 \(Year\): 2300 is outside Year's 1970-2199/],
    ['cron(0 2 * * * *)', /needs "\?" in exactly one of Day-of-month \(field 3\) and Day-of-week \(field 5\)/],
    ['cron(0 2 * * ? * *)', /must be an EventBridge expression|has 7 fields/],
  ])('schedules.daily %s: exit 1, names the field and the range, no plan written', async (expr, why) => {
    const r = await planOf(`cron-${expr.replace(/[^0-9a-z]/gi, '_')}`, (c) => ((c.schedules as Record<string, string>).daily = expr));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(why);
    expect(r.wrote).toBe(false);
  });

  it('the shipped schedules pass (weekly SUN, monthly day 1, restore test MON)', async () => {
    const r = await planOf('cron-good', () => undefined);
    expect(r.stderr).not.toMatch(/EventBridge refuses it/);
    expect(r.code).toBe(0);
  });
});
