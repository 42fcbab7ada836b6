/**
 * A scenario's timeline as plain SVG (no library: a few rectangles, lines and texts): the full
 * sets, each table's incremental export windows (applied, in the replica but after the restored
 * point, or not in the replica at the disaster), the disaster, the restored point, the RPO
 * bracket against the worst case the schedule allows, and the RTO where it shows on the axis.
 * The drill writes one file per scenario next to drill-report.md, which links them.
 */
import type { ScenarioTimeline } from './timeline';

/** Geometry of the drawing. */
export const SVG_LAYOUT = { width: 860, left: 120, right: 30, top: 34, rowHeight: 18 } as const;

/** Colours by meaning (also named in the legend). */
const COLOURS = {
  fullSet: '#1f5fbf',
  used: '#2e8b57',
  notUsed: '#b8c4b8',
  notReplicated: '#e8a33d',
  disaster: '#c62828',
  restored: '#2e8b57',
  worst: '#9e9e9e',
  rto: '#6a1b9a',
  axis: '#444',
} as const;

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (n: number) => Math.round(n * 10) / 10;

/** The x of a time on the timeline's axis. */
export function timelineX(t: Pick<ScenarioTimeline, 'start' | 'end'>, time: string | Date): number {
  const start = Date.parse(t.start);
  const span = Math.max(1, Date.parse(t.end) - start);
  const ms = typeof time === 'string' ? Date.parse(time) : time.getTime();
  return r1(SVG_LAYOUT.left + ((ms - start) / span) * (SVG_LAYOUT.width - SVG_LAYOUT.left - SVG_LAYOUT.right));
}

/** Minutes since midnight of a time on a simulated clock, or undefined on the run's own clock. */
function simulatedMinute(t: Pick<ScenarioTimeline, 'clockOrigin'>, ms: number): number | undefined {
  if (!t.clockOrigin) return undefined;
  return t.clockOrigin.minuteOfDay + (ms - Date.parse(t.clockOrigin.at)) / 60_000;
}

/** How a time reads on the axis: the simulated clock's HH:MM, or the run's UTC clock (with seconds on a short axis). */
export function timelineLabel(t: Pick<ScenarioTimeline, 'start' | 'end' | 'clockOrigin'>, time: string | Date): string {
  const ms = typeof time === 'string' ? Date.parse(time) : time.getTime();
  const sim = simulatedMinute(t, ms);
  if (sim === undefined) {
    const iso = new Date(ms).toISOString();
    return Date.parse(t.end) - Date.parse(t.start) < 3_600_000 ? iso.slice(11, 19) : iso.slice(11, 16);
  }
  const minute = ((Math.round(sim) % 1440) + 1440) % 1440;
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/** Tick step: the smallest "round" step giving at most 10 ticks. */
function tickStep(spanMs: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);
  return steps.find((s) => spanMs / s <= 10) ?? steps.at(-1)!;
}

/** Width of a label at 11 px sans-serif, estimated (no font metrics here): for keeping labels inside the picture. */
function textWidth(s: string): number {
  return s.length * 6.2;
}

/** "37 min", "4.2 s". */
function span(ms: number): string {
  return ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${r1(ms / 1000)} s`;
}

/** The SVG document of a timeline. */
export function renderTimelineSvg(t: ScenarioTimeline, title: string): string {
  const { width, left, right, top, rowHeight } = SVG_LAYOUT;
  const tables = [...new Set(t.windows.map((w) => w.table))];
  const rows = ['full sets', ...tables];
  const rowY = (i: number) => top + 20 + i * rowHeight;
  const axisY = rowY(rows.length) + 4;
  const bracketY = axisY + 42;
  const height = bracketY + 62;
  const x = (time: string | Date) => timelineX(t, time);
  const out: string[] = [];
  const text = (tx: number, ty: number, s: string, attrs = '') => out.push(`<text x="${r1(tx)}" y="${r1(ty)}"${attrs}>${escape(s)}</text>`);

  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  text(10, 18, `${title}${t.simulated ? ' (simulated clock)' : ''}`, ' font-weight="bold" font-size="13"');
  rows.forEach((r, i) => text(left - 8, rowY(i) + 12, r, ' text-anchor="end"'));

  // Axis and ticks.
  const start = Date.parse(t.start);
  const end = Date.parse(t.end);
  const step = tickStep(end - start);
  out.push(`<line x1="${left}" y1="${axisY}" x2="${width - right}" y2="${axisY}" stroke="${COLOURS.axis}"/>`);
  // Ticks fall on round times of the clock shown: the simulated one's, or UTC's.
  const shift = t.clockOrigin ? (simulatedMinute(t, 0) ?? 0) * 60_000 : 0;
  for (let ms = Math.ceil((start + shift) / step) * step - shift, i = 0; ms <= end && i < 50; ms += step, i++) {
    const tx = x(new Date(ms));
    out.push(`<line class="tick" x1="${tx}" y1="${axisY}" x2="${tx}" y2="${axisY + 4}" stroke="${COLOURS.axis}"/>`);
    text(tx, axisY + 15, timelineLabel(t, new Date(ms)), ' text-anchor="middle" font-size="10"');
  }

  // Full sets, then each table's windows.
  for (const f of t.fullSets) {
    const fx = x(f);
    out.push(
      `<rect class="full-set" data-time="${escape(f)}" x="${r1(fx - 3)}" y="${rowY(0) + 2}" width="6" height="${rowHeight - 4}" fill="${COLOURS.fullSet}"/>`,
    );
  }
  for (const w of t.windows) {
    const wx = x(w.from);
    const fill = w.used ? COLOURS.used : w.replicatedAt ? COLOURS.notUsed : COLOURS.notReplicated;
    const state = w.used ? 'applied' : w.replicatedAt ? 'in-replica' : 'not-replicated';
    out.push(
      `<rect class="window ${state}" data-from="${escape(w.from)}" x="${wx}" y="${rowY(1 + tables.indexOf(w.table)) + 3}" width="${r1(Math.max(1, x(w.to) - wx - 1))}" height="${rowHeight - 6}" fill="${fill}"/>`,
    );
  }

  // The disaster, the restored point and the RTO's end.
  const dx = x(t.disaster);
  const px = x(t.restoredPoint);
  const markTop = top + 14;
  out.push(`<line class="disaster" x1="${dx}" y1="${markTop}" x2="${dx}" y2="${bracketY + 6}" stroke="${COLOURS.disaster}" stroke-width="2"/>`);
  out.push(
    `<line class="restored" x1="${px}" y1="${markTop}" x2="${px}" y2="${bracketY + 6}" stroke="${COLOURS.restored}" stroke-width="2" stroke-dasharray="5,3"/>`,
  );
  // The disaster's label on the upper line, the restored point's on the lower one: each reads
  // away from the mark it names, leftwards where the right edge is too near, rightwards where the left is.
  const mark = (mx: number, y: number, label: string, colour: string, preferLeft: boolean) => {
    const w = textWidth(label);
    const left = preferLeft ? mx - 4 - w >= 4 : mx + 4 + w > width - 4;
    text(left ? mx - 4 : mx + 4, y, label, ` fill="${colour}" font-size="11"${left ? ' text-anchor="end"' : ''}`);
  };
  mark(dx, markTop - 10, `disaster ${timelineLabel(t, t.disaster)}`, COLOURS.disaster, false);
  mark(px, markTop + 2, `restored to ${timelineLabel(t, t.restoredPoint)}`, COLOURS.restored, true);

  // RPO bracket (restored point to disaster), the worst case the schedule allows under it.
  const rpoMs = Date.parse(t.disaster) - Date.parse(t.restoredPoint);
  const target = t.rpoTargetMinutes === undefined ? '' : `, target ${t.rpoTargetMinutes} min`;
  const worst = t.worstCaseMinutes === undefined ? '' : `, worst case the schedule allows ${t.worstCaseMinutes} min`;
  out.push(`<path class="rpo" d="M${px} ${bracketY - 5} V${bracketY} H${dx} V${bracketY - 5}" fill="none" stroke="${COLOURS.axis}" stroke-width="1.5"/>`);
  const rpoLabel = `RPO ${span(rpoMs)}${worst}${target}`;
  // Centred under the bracket, moved in where it would run off either edge.
  const half = textWidth(rpoLabel) / 2;
  text(Math.min(Math.max((px + dx) / 2, half + 4), width - half - 4), bracketY + 14, rpoLabel, ' text-anchor="middle" font-size="11"');
  // The worst case as a bar ending at the disaster, where it fits on the axis (a day does not fit a scenario of seconds).
  const worstStart = t.worstCaseMinutes === undefined ? undefined : Date.parse(t.disaster) - t.worstCaseMinutes * 60_000;
  if (worstStart !== undefined && worstStart >= start) {
    const wx = x(new Date(worstStart));
    out.push(`<line class="worst-case" x1="${wx}" y1="${bracketY + 22}" x2="${dx}" y2="${bracketY + 22}" stroke="${COLOURS.worst}" stroke-width="4"/>`);
  }
  if (t.verifiedAt) {
    const vx = x(t.verifiedAt);
    out.push(`<line class="rto" x1="${dx}" y1="${axisY - 6}" x2="${vx}" y2="${axisY - 6}" stroke="${COLOURS.rto}" stroke-width="3"/>`);
    text(vx, axisY - 10, `RTO ${span(Date.parse(t.verifiedAt) - Date.parse(t.disaster))}`, ` fill="${COLOURS.rto}" font-size="11" text-anchor="end"`);
  }

  // Legend.
  const legend: [string, string][] = [
    [COLOURS.fullSet, 'full set'],
    ...(t.windows.some((w) => w.used) ? ([[COLOURS.used, 'window applied']] as [string, string][]) : []),
    ...(t.windows.some((w) => !w.used && w.replicatedAt) ? ([[COLOURS.notUsed, 'window after the point']] as [string, string][]) : []),
    ...(t.windows.some((w) => !w.replicatedAt) ? ([[COLOURS.notReplicated, 'window not in the replica']] as [string, string][]) : []),
    ...(worstStart !== undefined && worstStart >= start ? ([[COLOURS.worst, 'worst-case RPO']] as [string, string][]) : []),
  ];
  let lx = left;
  const ly = height - 14;
  for (const [colour, name] of legend) {
    out.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${colour}"/>`);
    text(lx + 14, ly, name, ' font-size="11"');
    lx += 24 + textWidth(name);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    ...out.map((l) => `  ${l}`),
    '</svg>',
    '',
  ].join('\n');
}
