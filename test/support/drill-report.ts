/**
 * A local drill report for tests of what renders one (`dr drill`'s Markdown, `dr plan`): the
 * shipped app "shop", started 2026-11-23T17:00:00Z and taking 60 s; each test gives the result,
 * the dataset, the backup, the scenarios and the targets it asserts on.
 */
import type { DrillReport } from '../../cli/drill/report';

/** The report with the header every test shares and the given results. */
export function drillReport(results: Omit<DrillReport, 'formatVersion' | 'mode' | 'appName' | 'startedAt' | 'finishedAt' | 'durationMs'>): DrillReport {
  return {
    formatVersion: 1,
    mode: 'local',
    appName: 'shop',
    startedAt: '2026-11-23T17:00:00.000Z',
    finishedAt: '2026-11-23T17:01:00.000Z',
    durationMs: 60000,
    ...results,
  };
}
