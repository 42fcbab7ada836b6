/**
 * The drill report: `drill-report.json` (read back by `dr plan`) and `drill-report.md`.
 */
import { EXPORT_ESTIMATE_MINUTES, REPLICATION_MINUTES } from '../../lib/config-incremental';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderTimelineSvg } from './svg-timeline';
import type { ScenarioTimeline } from './timeline';
import type { TableVerification } from './verify';

/** Scenario ids, in the order the drill runs them. */
export const SCENARIO_IDS = ['table-deleted', 'bad-deploy', 'ransomware', 'region-lost', 'region-lost-midday', 'uploads-encrypted'] as const;
/** One scenario of the drill. */
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** Measured result of one scenario. */
export interface ScenarioResult {
  readonly id: ScenarioId;
  readonly title: string;
  readonly passed: boolean;
  /** Detection to verified restore, ms. */
  readonly rtoMs: number;
  /** Age of the restored data at detection: detection time - the set's exportTime, ms. */
  readonly rpoMs: number;
  /** Items restored and verified. */
  readonly items: number;
  readonly itemsPerSecond: number;
  /** The backup set recovered from. */
  readonly backupId?: string;
  readonly tables: string[];
  readonly verification: TableVerification[];
  /** The engine each restored table was loaded with, and why. */
  readonly engines?: { readonly source: string; readonly target: string; readonly engine: string; readonly reason: string; readonly reapplied: string[] }[];
  /** What the report's timeline draws. Reports written before it existed lack it. */
  readonly timeline?: ScenarioTimeline;
  /** What happened, step by step, for the report. */
  readonly notes: string[];
  readonly error?: string;
}

/** drill-report.json */
export interface DrillReport {
  readonly formatVersion: 1;
  readonly mode: 'local' | 'aws';
  readonly appName: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly passed: boolean;
  readonly dataset: { readonly seed: number; readonly requestedItems: number; readonly totalItems: number; readonly perTable: Record<string, number> };
  readonly backup: { readonly backupId: string; readonly durationMs: number; readonly items: number; readonly metrics: string[] };
  /** What answered ImportTable / bulk put: DynamoDB, or the local stand-in. */
  readonly engineNote?: string;
  readonly scenarios: ScenarioResult[];
  /** Per table: RPO/RTO targets from the config, minutes. */
  readonly targets: Record<string, { rpoMinutes: number; rtoMinutes: number }>;
  /**
   * Per table: the worst-case RPO across regions the configured schedule allows, minutes
   * (interval + export + replication with a chain; a day for full-only tables). Reports written
   * before it existed lack it.
   */
  readonly worstCaseRpoMinutes?: Record<string, number>;
}

/** The worst case the schedule allows for a scenario's tables: the largest of theirs, or undefined when unknown. */
export function scenarioWorstCase(r: Pick<DrillReport, 'worstCaseRpoMinutes'>, s: Pick<ScenarioResult, 'tables'>): number | undefined {
  const known = s.tables.map((t) => r.worstCaseRpoMinutes?.[t]).filter((m): m is number => m !== undefined);
  return known.length ? Math.max(...known) : undefined;
}

const fmtMs = (ms: number) => (ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`);

/** Human duration used by the report and the plan. */
export function formatDuration(ms: number): string {
  return fmtMs(Math.max(0, Math.round(ms)));
}

/** Markdown of a report. */
export function renderDrillMarkdown(r: DrillReport): string {
  const lines = [
    `# DR drill report: ${r.appName} (${r.mode})`,
    '',
    `**Result: ${r.passed ? 'PASSED' : 'FAILED'}**, ${r.scenarios.filter((s) => s.passed).length}/${r.scenarios.length} scenarios passed. Started ${r.startedAt}, took ${formatDuration(r.durationMs)}${r.mode === 'local' ? ' after the local servers started' : ''}.`,
    '',
    `Dataset: ${r.dataset.totalItems} items (seed ${r.dataset.seed}, --items ${r.dataset.requestedItems}): ${Object.entries(r.dataset.perTable)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}.`,
    `Backup through the scheduled backup handler: set ${r.backup.backupId}, ${r.backup.items} items in ${formatDuration(r.backup.durationMs)}; metrics emitted: ${r.backup.metrics.join(', ') || 'none'}.`,
    '',
    ...(r.engineNote ? [`Restore engines: ${r.engineNote}.`, ''] : []),
    '| scenario | result | RTO (detection to verified) | RPO measured (age of restored data) | RPO worst case the schedule allows | items | items/s | backup set |',
    '|---|---|---|---|---|---|---|---|',
    ...r.scenarios.map((s) => {
      const worst = scenarioWorstCase(r, s);
      return `| ${s.title} | ${s.passed ? 'pass' : '**FAIL**'} | ${formatDuration(s.rtoMs)} | ${formatDuration(s.rpoMs)} | ${worst === undefined ? '-' : `${worst} min`} | ${s.items} | ${s.itemsPerSecond} | ${s.backupId ?? '-'} |`;
    }),
    '',
    ...(r.worstCaseRpoMinutes
      ? [
          `Worst case per table (interval + ${EXPORT_ESTIMATE_MINUTES} min export + ${REPLICATION_MINUTES} min replication with a chain of incremental exports; a day for full-only tables): ${Object.entries(
            r.worstCaseRpoMinutes,
          )
            .map(([t, m]) => `${t} ${m} min`)
            .join(
              ', ',
            )}. The measured RPO is this run's; the worst case is what the configured schedule allows when the region is lost just before the next window lands.`,
          '',
        ]
      : []),
  ];
  for (const s of r.scenarios) {
    lines.push(`## ${s.title}: ${s.passed ? 'pass' : 'FAIL'}`, '');
    if (s.timeline) lines.push(`![timeline: ${s.title}](${timelineFile(s.id)})`, '');
    lines.push(...s.notes.map((n) => `- ${n}`));
    if (s.engines?.length) {
      lines.push('', '| table | restored into | engine | why | re-applied |', '|---|---|---|---|---|');
      lines.push(...s.engines.map((e) => `| ${e.source} | ${e.target} | ${e.engine} | ${e.reason} | ${e.reapplied.join(', ') || '-'} |`), '');
    }
    if (s.error) lines.push(`- error: ${s.error}`);
    const bad = s.verification.filter((v) => !v.ok);
    lines.push(
      `- verified ${s.verification.length} table(s) item by item: ${s.verification.reduce((n, v) => n + v.matched, 0)} items matched${bad.length ? `; mismatches in ${bad.map((v) => `${v.table} (missing ${v.missing}, different ${v.different}, unexpected ${v.unexpected}: ${v.examples.join('; ')})`).join(', ')}` : ''}`,
    );
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** The SVG timeline of a scenario, next to drill-report.md. */
export function timelineFile(id: ScenarioId): string {
  return `drill-timeline-${id}.svg`;
}

/** Writes drill-report.json, drill-report.md and each scenario's SVG timeline into `dir`; returns the paths. */
export function writeDrillReport(r: DrillReport, dir: string): { json: string; markdown: string; timelines: string[] } {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'drill-report.json');
  const markdown = path.join(dir, 'drill-report.md');
  fs.writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  const timelines: string[] = [];
  for (const s of r.scenarios) {
    if (!s.timeline) continue;
    const file = path.join(dir, timelineFile(s.id));
    const worst = s.timeline.worstCaseMinutes ?? scenarioWorstCase(r, s);
    fs.writeFileSync(file, renderTimelineSvg({ ...s.timeline, worstCaseMinutes: worst }, s.title));
    timelines.push(file);
  }
  fs.writeFileSync(markdown, renderDrillMarkdown(r));
  return { json, markdown, timelines };
}

/** Reads a drill report, or undefined when the file is missing; throws naming the file when it is not one. */
export function readDrillReport(file: string): DrillReport | undefined {
  if (!fs.existsSync(file)) return undefined;
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as DrillReport;
  if (r.formatVersion !== 1 || !Array.isArray(r.scenarios))
    throw new Error(`${file} is not a drill report (no formatVersion 1 / scenarios): run "dr drill --local" to write one`);
  return r;
}
