/**
 * EventBridge cron expressions checked field by field against AWS's documented rule ("Cron
 * expressions reference", EventBridge user guide): six fields, Minutes 0-59, Hours 0-23,
 * Day-of-month 1-31, Month 1-12 or JAN-DEC, Day-of-week 1-7 or SUN-SAT, Year 1970-2199, and one
 * of Day-of-month / Day-of-week must be `?`. A deploy would fail on any of these; the config
 * refuses them first, naming the field.
 */

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The fields, in order: name, range, names allowed for values, extra wildcards allowed. */
const FIELDS: readonly { name: string; min: number; max: number; names?: readonly string[]; extra: RegExp }[] = [
  { name: 'Minutes', min: 0, max: 59, extra: /^$/ },
  { name: 'Hours', min: 0, max: 23, extra: /^$/ },
  { name: 'Day-of-month', min: 1, max: 31, extra: /^(\?|L|\d{1,2}W|LW)$/ },
  { name: 'Month', min: 1, max: 12, names: MONTHS, extra: /^$/ },
  { name: 'Day-of-week', min: 1, max: 7, names: DAYS, extra: /^(\?|L|\dL|\d#[1-5])$/ },
  { name: 'Year', min: 1970, max: 2199, extra: /^$/ },
];

/** What is wrong with one field's value, or undefined. */
function fieldProblem(value: string, f: (typeof FIELDS)[number]): string | undefined {
  if (f.extra.test(value)) return undefined;
  for (const part of value.split(',')) {
    const [range, step] = part.split('/');
    if (step !== undefined && !/^\d+$/.test(step)) return `"${part}" has an increment that is not a number`;
    if (range === '*') continue;
    for (const v of range.split('-')) {
      const n = f.names?.indexOf(v.toUpperCase()) ?? -1;
      if (n >= 0) continue;
      if (!/^\d+$/.test(v)) return `"${v}" is not a value of ${f.name} (${f.min}-${f.max}${f.names ? ` or ${f.names[0]}-${f.names.at(-1)}` : ''})`;
      if (Number(v) < f.min || Number(v) > f.max) return `${v} is outside ${f.name}'s ${f.min}-${f.max}`;
    }
  }
  return undefined;
}

/** What is wrong with an EventBridge `cron(...)` expression, or undefined (rate expressions and other forms are the schema's). */
export function cronProblem(expr: string): string | undefined {
  const m = /^cron\((.*)\)$/.exec(expr.trim());
  if (!m) return undefined;
  const fields = m[1].trim().split(/\s+/);
  if (fields.length !== 6)
    return `has ${fields.length} fields; EventBridge cron has six: minutes hours day-of-month month day-of-week year, e.g. "cron(0 2 * * ? *)"`;
  for (let i = 0; i < 6; i++) {
    const p = fieldProblem(fields[i], FIELDS[i]);
    if (p) return `field ${i + 1} (${FIELDS[i].name}): ${p}`;
  }
  if ((fields[2] === '?') === (fields[4] === '?'))
    return 'needs "?" in exactly one of Day-of-month (field 3) and Day-of-week (field 5), e.g. "cron(0 2 * * ? *)" or "cron(0 3 ? * SUN *)"';
  return undefined;
}
