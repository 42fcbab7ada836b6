/**
 * Trusted time: what "data as of" means, and how every time given to the product is read.
 * Pure (no I/O, no clock of its own), so the slot, the backup runs, the catalog, incremental
 * windows, `dr doctor` and the CLI all read times through these functions and never on their own.
 *
 * The rules:
 * - The RECOVERY POINT of a set is when its data was read: the scan's start (taken from the
 *   clock when the run starts reading) or the native export's ExportTime as DynamoDB reports it
 *   (DescribeExport). {@link recoveryPoint} is the one function that answers "data as of" for a
 *   set; `latest`, `--before`, metrics, doctor and the restore messages call it.
 * - A SLOT time (the schedule's `event.time`) is only the slot's identity. It never becomes the
 *   recovery point, and it is accepted only inside a sane window around the run's own clock
 *   ({@link checkSlotTime}): a delivery from the future or one later than every retry path can
 *   take is refused, unless the operator asks for a backfill.
 * - A written time is parsed strictly ({@link parseTime}): an impossible date (02-30, 24:00, year
 *   0000) is refused, never rolled over, and a time without a zone is read as UTC and said so:
 *   the same command answers the same in every zone.
 */

/** How long after a slot's time a run of it may still start: EventBridge retries an event for up to 2 hours (maxEventAge of function-schedule.ts) and Lambda's asynchronous queue keeps it up to 6 more. */
export const MAX_SLOT_LATENESS_MS = 8 * 3_600_000;
/** How far ahead of the run's clock a slot time may be: clock skew between EventBridge and Lambda. */
export const MAX_SLOT_EARLINESS_MS = 5 * 60_000;
/**
 * A set whose data was read more than this after its slot's time (a late retry, a backfill) is
 * marked read-late in the catalog at its commit; every other set's recovery point is known from
 * its key to lie within this of its slot, so `latest` stops after one or two sets even with
 * hourly sets.
 */
export const MAX_READ_AFTER_SLOT_MS = 10 * 60_000;
/** A recovery point later than the reader's clock by more than this is not clock skew but a wrong (forged, or written by a clock far off) set. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** The smallest year accepted: ISO 8601's year 0000 is no real date for a backup. */
const MIN_YEAR = 1970;

/** ISO 8601 date-time: date, `T` (or a space), hours and minutes, optional seconds and fraction, optional zone. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;
/** A bare date. */
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A time read by {@link parseTime}. */
export interface ParsedTime {
  readonly time: Date;
  /** True when the text had no zone and was read as UTC: tell the operator. */
  readonly assumedUtc: boolean;
}

/** Options of {@link parseTime}. */
export interface ParseTimeOptions {
  /** `utc`: a zone-less time is read as UTC ({@link ParsedTime.assumedUtc}); `required`: it is refused. @default 'utc' */
  readonly zone?: 'utc' | 'required';
}

/** Thrown for a time that cannot be read: names the field, the value and the form expected. */
export class TimeFormatError extends Error {
  constructor(field: string, value: unknown, why: string) {
    super(`${field} ${why} (got ${JSON.stringify(value)}): give an ISO 8601 time such as 2026-11-23T02:15:00Z`);
    this.name = 'TimeFormatError';
  }
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Parses an ISO 8601 time strictly: every field in its range (no 02-30, no 24:00, no year 0000),
 * a zone `Z` or `±hh:mm`, or none (read as UTC, see {@link ParseTimeOptions.zone}). A bare date is
 * midnight UTC of that day.
 */
export function parseTime(field: string, value: unknown, opts: ParseTimeOptions = {}): ParsedTime {
  if (typeof value !== 'string') throw new TimeFormatError(field, value, 'must be a time string');
  const text = value.trim();
  const m = ISO.exec(text) ?? DATE_ONLY.exec(text);
  if (!m) throw new TimeFormatError(field, value, 'is not an ISO 8601 time');
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((x) => (x === undefined ? 0 : Number(x)));
  if (year < MIN_YEAR) throw new TimeFormatError(field, value, `has year ${m[1]}: no backup is older than ${MIN_YEAR}`);
  if (month < 1 || month > 12) throw new TimeFormatError(field, value, `has month ${m[2]}: months run 01 to 12`);
  if (day < 1 || day > daysIn(year, month)) throw new TimeFormatError(field, value, `has day ${m[3]}: ${m[1]}-${m[2]} has ${daysIn(year, month)} days`);
  if (hour > 23) throw new TimeFormatError(field, value, `has hour ${m[4]}: hours run 00 to 23 (write 24:00 as 00:00 of the next day)`);
  if (minute > 59 || second > 59) throw new TimeFormatError(field, value, 'has minutes or seconds over 59');
  const fraction = m[7] ? Number(`0.${m[7]}`) : 0;
  const zone = m.length > 8 ? m[8] : undefined;
  if (zone === undefined && opts.zone === 'required') throw new TimeFormatError(field, value, 'has no zone: add Z for UTC or an offset such as +09:00');
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const [h, mm] = [Number(z[2]), Number(z[3])];
    if (h > 14 || mm > 59) throw new TimeFormatError(field, value, `has offset ${zone}: offsets run -12:00 to +14:00`);
    offsetMin = (z[1] === '-' ? -1 : 1) * (h * 60 + mm);
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) + Math.floor(fraction * 1000) - offsetMin * 60_000;
  return { time: new Date(ms), assumedUtc: zone === undefined };
}

/** What EventBridge puts in `time` (`<aws.events.event.time>`): ISO 8601 in UTC, e.g. 2026-11-23T02:00:00Z. */
const EVENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** Parses an event's scheduled time (EventBridge's form, `Z` required) strictly; throws naming the field, the value and the expected form. */
export function parseEventTime(value: unknown, field = 'event.time'): Date {
  if (typeof value !== 'string' || !EVENT_TIME.test(value))
    throw new Error(
      `${field} must be an ISO 8601 UTC time like 2026-11-23T02:00:00Z (what EventBridge sends as <aws.events.event.time>); got ${JSON.stringify(value)}`,
    );
  return parseTime(field, value, { zone: 'required' }).time;
}

/** Options of {@link checkSlotTime}. */
export interface SlotTimeOptions {
  /** The run's clock. */
  readonly now: Date;
  /** The operator asked for a backfill: a past slot of any age is accepted (never a future one). @default false */
  readonly backfill?: boolean;
  /** @default MAX_SLOT_LATENESS_MS */
  readonly maxLatenessMs?: number;
  /** @default MAX_SLOT_EARLINESS_MS */
  readonly maxEarlinessMs?: number;
}

/**
 * Refuses a slot time outside the sane window around `now` (see the module comment). A slot is
 * an identity: a time days ahead would claim a slot that its real run then finds taken, and a
 * time days behind would name a set after a day it never saw.
 */
export function checkSlotTime(field: string, slot: Date, o: SlotTimeOptions): void {
  const ahead = slot.getTime() - o.now.getTime();
  const early = o.maxEarlinessMs ?? MAX_SLOT_EARLINESS_MS;
  if (ahead > early)
    throw new Error(
      `${field} ${slot.toISOString()} is ${minutes(ahead)} ahead of this run's clock (${o.now.toISOString()}); a schedule never delivers a slot ` +
        `more than ${minutes(early)} early: check the event's sender, or the clock of the machine running this`,
    );
  const late = o.maxLatenessMs ?? MAX_SLOT_LATENESS_MS;
  if (!o.backfill && -ahead > late)
    throw new Error(
      `${field} ${slot.toISOString()} is ${minutes(-ahead)} behind this run's clock (${o.now.toISOString()}), later than any retry of the schedule ` +
        `delivers (${minutes(late)}): if you mean to run that slot now, send the event again with "backfill": true (the set is named after the slot, ` +
        'its data is as of when this run reads it)',
    );
}

const minutes = (ms: number) => (ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${Math.round(ms / 60_000)} min`);

/** What a set records of its times (metadata.json, its catalog summary, a pending set). */
export interface SetTimes {
  /** The recovery point as the run recorded it: when its data was read. */
  readonly exportTime: string;
}

/** "Data as of": the recovery point of a set, the one time `latest`, `--before`, metrics, doctor and restores use. */
export function recoveryPoint(set: SetTimes): Date {
  return new Date(set.exportTime);
}

/** True when a set's data was read later after its slot than a run inside the window reads it (see {@link MAX_READ_AFTER_SLOT_MS}). */
export function readLate(slot: Date, point: Date): boolean {
  return point.getTime() - slot.getTime() > MAX_READ_AFTER_SLOT_MS;
}

/** The recovery point of a set made of several reads: the earliest of them (the set is as old as its oldest table). */
export function earliestOf(times: readonly Date[]): Date {
  if (times.length === 0) throw new Error('internal: a recovery point needs at least one read time');
  return new Date(Math.min(...times.map((t) => t.getTime())));
}

/** The age of a recovery point at `now`, never negative; `future` when the point is later than `now` by more than clock skew explains. */
export interface DataAge {
  readonly minutes: number;
  readonly future: boolean;
}

/** How old a recovery point is at `now` (see {@link DataAge}). */
export function dataAge(point: Date, now: Date): DataAge {
  const ms = now.getTime() - point.getTime();
  return { minutes: Math.max(0, ms / 60_000), future: -ms > MAX_CLOCK_SKEW_MS };
}
