/**
 * A scenario's timeline: what the drill report draws per scenario (full sets, incremental export
 * windows, the disaster, the restored point, the RPO against its worst case and target). The
 * scenarios record it; svg-timeline.ts draws it.
 */

/** One incremental export window on a timeline. */
export interface TimelineWindow {
  /** Config table name. */
  readonly table: string;
  /** [from, to), ISO. */
  readonly from: string;
  readonly to: string;
  /** When the window was in the replica (ISO), or undefined when it was not there at the disaster. */
  readonly replicatedAt?: string;
  /** True when the restore applied it. */
  readonly used: boolean;
}

/** What a scenario's timeline shows. */
export interface ScenarioTimeline {
  /** True when the times are on the drill's simulated clock (scenario 5), not the run's real one. */
  readonly simulated: boolean;
  /**
   * How labels read the times on a simulated clock: `at` is shown as `minuteOfDay` (scenario 5's
   * full set is 02:00: 120), later times as that plus the minutes since. @default - the times' own UTC clock
   */
  readonly clockOrigin?: { readonly at: string; readonly minuteOfDay: number };
  /** Left and right ends of the axis, ISO. */
  readonly start: string;
  readonly end: string;
  /** Recovery points of the full sets the scenario knew, ISO. */
  readonly fullSets: string[];
  readonly windows: TimelineWindow[];
  /** When the disaster was detected, ISO. */
  readonly disaster: string;
  /** The point the data was restored to, ISO. */
  readonly restoredPoint: string;
  /** When the restore was verified, ISO, on the same clock (the RTO's end); absent on a simulated day, where it is seconds after the disaster. */
  readonly verifiedAt?: string;
  /** The worst case the configured schedule allows for the scenario's tables, minutes. */
  readonly worstCaseMinutes?: number;
  /** The RPO target of the scenario's tables (the smallest), minutes. */
  readonly rpoTargetMinutes?: number;
}
