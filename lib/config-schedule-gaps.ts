/**
 * The longest time between two full backups the configured schedules allow, from their EventBridge
 * expressions (UTC, as EventBridge rules run them). The NoRecentBackup alarm counts every tier's
 * successes together and fires when none came within the RPO the full sets must meet, so a
 * schedule with a longer gap than that RPO (weekdays only, weekly as "daily", a rate of 2 days)
 * would page at every gap; the config refuses it first (config-rules.ts).
 *
 * Cron fields follow EventBridge's "Cron expressions reference": Minutes, Hours, Day-of-month
 * (`?`, `L`, `LW`, `nW`), Month (1-12, JAN-DEC), Day-of-week (`?`, 1-7 or SUN-SAT, `L`, `nL`,
 * `n#k`), Year; `*`, lists, ranges and `/` increments. Expressions `cronProblem` refuses are
 * left to it.
 */
import { cronProblem } from './config-cron';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const DAY_MS = 86_400_000;
/** Years evaluated from the start of the current one: every day-of-month and leap-year pattern repeats within four. */
const HORIZON_DAYS = 4 * 366;

/** The values a plain field (lists, ranges, increments, `*`, names) stands for. */
function expand(field: string, min: number, max: number, names?: readonly string[]): Set<number> {
  const out = new Set<number>();
  const value = (v: string) => {
    const n = names?.indexOf(v.toUpperCase()) ?? -1;
    return n >= 0 ? n + 1 : Number(v);
  };
  for (const part of field.split(',')) {
    const [range, step] = part.split('/');
    const [lo, hi] = range === '*' ? [min, max] : range.includes('-') ? range.split('-').map(value) : [value(range), step ? max : value(range)];
    for (let v = lo; v <= hi; v += step ? Number(step) : 1) out.add(v);
  }
  return out;
}

/** Whether a UTC day matches the day-of-month field (`?` matches every day). */
function domMatches(field: string, d: Date): boolean {
  if (field === '?' || field === '*') return true;
  const day = d.getUTCDate();
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  const weekday = (n: number) => {
    // The weekday nearest day n of this month, within the month.
    const dow = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), n)).getUTCDay();
    if (dow === 6) return n === 1 ? 3 : n - 1;
    if (dow === 0) return n === last ? n - 2 : n + 1;
    return n;
  };
  if (field === 'L') return day === last;
  if (field === 'LW') return day === weekday(last);
  const w = /^(\d{1,2})W$/.exec(field);
  if (w) return day === weekday(Math.min(Number(w[1]), last));
  return expand(field, 1, 31).has(day);
}

/** Whether a UTC day matches the day-of-week field (1 = Sunday, as EventBridge counts). */
function dowMatches(field: string, d: Date): boolean {
  if (field === '?' || field === '*') return true;
  const dow = d.getUTCDay() + 1;
  const day = d.getUTCDate();
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  if (field === 'L') return dow === 7;
  const lastOf = /^(\w+)L$/.exec(field);
  if (lastOf) return dow === [...expand(lastOf[1], 1, 7, DAYS)][0] && day + 7 > last;
  const nth = /^(\w+)#([1-5])$/.exec(field);
  if (nth) return dow === [...expand(nth[1], 1, 7, DAYS)][0] && Math.ceil(day / 7) === Number(nth[2]);
  return expand(field, 1, 7, DAYS).has(dow);
}

/** The minutes of a UTC day (0-1439) at which an expression fires; empty on days it does not. */
type DayFirings = (day: Date) => number[];

/** How one valid `cron(...)` or `rate(...)` expression fires, day by day. */
function firingsOf(expr: string): DayFirings | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expr.trim());
  if (rate) {
    const every = Number(rate[1]) * (rate[2].startsWith('minute') ? 1 : rate[2].startsWith('hour') ? 60 : 1440);
    // A rate runs from when the rule is created: any phase gives the same gaps.
    return (day) => {
      const start = day.getTime() / 60_000;
      const first = Math.ceil(start / every) * every;
      const out: number[] = [];
      for (let m = first; m < start + 1440; m += every) out.push(m - start);
      return out;
    };
  }
  const m = /^cron\((.*)\)$/.exec(expr.trim());
  if (!m || cronProblem(expr)) return undefined;
  const [minutes, hours, dom, month, dow, year] = m[1].trim().split(/\s+/);
  const times = [...expand(hours, 0, 23)].flatMap((h) => [...expand(minutes, 0, 59)].map((mi) => h * 60 + mi)).sort((a, b) => a - b);
  const months = expand(month, 1, 12, MONTHS);
  const years = expand(year, 1970, 2199);
  return (day) => (years.has(day.getUTCFullYear()) && months.has(day.getUTCMonth() + 1) && domMatches(dom, day) && dowMatches(dow, day) ? times : []);
}

/** The longest gap between two consecutive firings of any of the expressions. */
export interface ScheduleGap {
  /** Minutes; Infinity when they fire fewer than twice in four years. */
  readonly minutes: number;
  /** The firings that bound it (absent with Infinity). */
  readonly from?: Date;
  readonly to?: Date;
}

/**
 * The longest gap between consecutive firings of `exprs` taken together, over four years from the
 * start of `from`'s year (UTC). Expressions that are not valid schedules are ignored (the schema
 * and `cronProblem` name them).
 */
export function longestScheduleGap(exprs: readonly string[], from = new Date()): ScheduleGap {
  // Config loading runs this for every parse (tests parse the same schedules hundreds of times).
  const key = `${from.getUTCFullYear()}|${exprs.join('|')}`;
  const known = GAPS.get(key);
  if (known) return known;
  const gap = computeGap(exprs, from);
  GAPS.set(key, gap);
  return gap;
}

const GAPS = new Map<string, ScheduleGap>();

function computeGap(exprs: readonly string[], from: Date): ScheduleGap {
  const fires = exprs.map(firingsOf).filter((f): f is DayFirings => f !== undefined);
  const start = Date.UTC(from.getUTCFullYear(), 0, 1);
  let prev: number | undefined;
  let best: ScheduleGap = { minutes: Number.POSITIVE_INFINITY };
  let count = 0;
  for (let i = 0; i < HORIZON_DAYS; i++) {
    const day = new Date(start + i * DAY_MS);
    const minutes = [...new Set(fires.flatMap((f) => f(day)))].sort((a, b) => a - b);
    for (const mi of minutes) {
      const at = day.getTime() + mi * 60_000;
      if (prev !== undefined && (count === 1 || (at - prev) / 60_000 > best.minutes))
        best = { minutes: (at - prev) / 60_000, from: new Date(prev), to: new Date(at) };
      prev = at;
      count++;
    }
  }
  return best;
}
