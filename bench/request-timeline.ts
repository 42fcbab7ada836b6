/**
 * Records every S3 request a client sends (command, start, end) so a benchmark can say where a
 * run's time went: requests per command, their summed latency, and how full the copy pool was.
 */
import type { S3Client } from '@aws-sdk/client-s3';

/** One request as sent and answered. */
export interface TimedRequest {
  readonly command: string;
  readonly start: number;
  readonly end: number;
}

/** The requests recorded so far; `clear()` starts a new run. */
export interface RequestTimeline {
  readonly requests: TimedRequest[];
  clear(): void;
}

/** Adds a middleware to `s3` that records each request's command and times. */
export function recordRequests(s3: S3Client): RequestTimeline {
  const requests: TimedRequest[] = [];
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const start = performance.now();
      try {
        return await next(args);
      } finally {
        requests.push({ command: String(context.commandName ?? '?').replace(/Command$/, ''), start, end: performance.now() });
      }
    },
    { step: 'initialize', name: 'benchRequestTimeline' },
  );
  return { requests, clear: () => requests.splice(0) };
}

/** Per command: requests and summed seconds; and the copy pool's fill between the first and last copy. */
export function summarizeTimeline(t: readonly TimedRequest[], pool: number, copyCommand = 'CopyObject'): string {
  const by = new Map<string, { n: number; ms: number }>();
  for (const r of t) {
    const e = by.get(r.command) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += r.end - r.start;
    by.set(r.command, e);
  }
  const copies = t.filter((r) => r.command === copyCommand);
  const first = Math.min(...t.map((r) => r.start));
  const last = Math.max(...t.map((r) => r.end));
  const c0 = Math.min(...copies.map((r) => r.start));
  const c1 = Math.max(...copies.map((r) => r.end));
  const busy = copies.reduce((s, r) => s + (r.end - r.start), 0);
  const parts = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => `${k} ${v.n} (${(v.ms / 1000).toFixed(1)} s)`);
  return (
    `${parts.join(', ')}; before the first copy ${((c0 - first) / 1000).toFixed(2)} s, copies ${((c1 - c0) / 1000).toFixed(2)} s ` +
    `(pool ${((100 * busy) / ((c1 - c0) * pool)).toFixed(0)} % full), after the last copy ${((last - c1) / 1000).toFixed(2)} s`
  );
}
