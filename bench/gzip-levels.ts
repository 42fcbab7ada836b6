/**
 * Figure 1b: the gzip level of the data files. The scan engine's DEFAULT_GZIP_LEVEL trades file
 * size for CPU; this measures the trade on the same export lines the engine writes, for the bench
 * item and for the drill's shop dataset (less repetitive text), in-process, no servers.
 */
import { gzipSync } from 'node:zlib';
import { marshall } from '@aws-sdk/util-dynamodb';
import { generateShop } from '../cli/drill/dataset';
import { exportLine } from '../lambda/format/dynamodb-json';
import { DEFAULT_GZIP_LEVEL } from '../lambda/backup/scan-engine';
import { benchItem, median } from './harness';

/** One dataset at one level. */
export interface GzipLevelRow {
  readonly dataset: string;
  readonly level: number;
  readonly rawBytes: number;
  readonly gzippedBytes: number;
  /** Median CPU time of one gzip of the whole text. */
  readonly ms: number;
}

/** The levels compared: fastest, the engine's default, zlib's default, smallest. */
export const GZIP_LEVELS = [...new Set([1, DEFAULT_GZIP_LEVEL, 6, 9])].sort((a, b) => a - b);

function cpuMs(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
}

/** Export lines of `items` bench items and of a drill shop dataset of about the same size. */
export function gzipDatasets(items: number): { name: string; text: Buffer }[] {
  const orders = Array.from({ length: items }, (_, i) => exportLine(benchItem(i))).join('');
  const shop = Object.values(generateShop(items))
    .flat()
    .map((it) => exportLine(marshall(it, { removeUndefinedValues: true })))
    .join('');
  return [
    { name: `bench orders (${items.toLocaleString('en-US')} items)`, text: Buffer.from(orders) },
    { name: `drill shop dataset (${items.toLocaleString('en-US')} items, 9 tables)`, text: Buffer.from(shop) },
  ];
}

/** Gzips each dataset at each level `rounds` times; CPU time is the median. */
export function measureGzipLevels(items = 20000, rounds = 3): GzipLevelRow[] {
  const rows: GzipLevelRow[] = [];
  for (const d of gzipDatasets(items)) {
    for (const level of GZIP_LEVELS) {
      let size = 0;
      const times = Array.from({ length: rounds }, () => cpuMs(() => (size = gzipSync(d.text, { level }).length)));
      rows.push({ dataset: d.name, level, rawBytes: d.text.length, gzippedBytes: size, ms: median(times) });
    }
  }
  return rows;
}
