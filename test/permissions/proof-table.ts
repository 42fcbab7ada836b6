/**
 * The permissions proof table of docs/security.md, generated from what the proof measures and
 * checked against it: each proof test file owns its rows (the last cell names the file and its
 * negative test) and compares them with what it evaluated, so the table cannot drift from the proof.
 *
 * Counts are DISTINCT IAM requests (action, resource, region, condition context): the raw count varies with
 * how often an operation was polled, the distinct requests do not. "unproven" counts requests the
 * simulator cannot decide (bulk put's unpublished actions, checked against the policy text).
 *
 * Regenerate a file's rows after a change the proof measures: `UPDATE_PROOF_TABLE=1 npx jest
 * test/permissions/<file>` (one file at a time: each run rewrites its own rows).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Verdict } from './evaluate';

/** The page the table lives in, and its markers. */
export const PROOF_TABLE_DOC = path.join(__dirname, '..', '..', 'docs', 'security.md');
export const TABLE_START = '<!-- proof-table:start -->';
export const TABLE_END = '<!-- proof-table:end -->';
export const TABLE_HEADER = ['| principal | what ran | proven | denied | unproven | negative test |', '|---|---|---:|---:|---:|---|'];

/** One measured row. */
export interface ProofRow {
  readonly principal: string;
  readonly ran: string;
  readonly proven: number;
  readonly denied: number;
  readonly unproven: number;
  /** The negative test's title, word for word as in the owning file. */
  readonly negative: string;
}

const requestKey = (v: Verdict) => JSON.stringify([v.request.action, v.request.resource, v.request.region ?? '', v.request.context ?? {}]);

/** A row from a principal's verdicts: distinct requests allowed, distinct requests denied. */
export function measuredRow(p: { principal: string; ran: string; verdicts: readonly Verdict[]; negative: string; unproven?: number }): ProofRow {
  const allowed = new Set(p.verdicts.filter((v) => v.allowed).map(requestKey));
  const denied = new Set(p.verdicts.filter((v) => !v.allowed).map(requestKey));
  return { principal: p.principal, ran: p.ran, proven: allowed.size, denied: denied.size, unproven: p.unproven ?? 0, negative: p.negative };
}

/** The markdown line of a row owned by `file` (a file name under test/permissions/). */
export function renderRow(file: string, r: ProofRow): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return `| ${cell(r.principal)} | ${cell(r.ran)} | ${r.proven} | ${r.denied} | ${r.unproven} | \`${file}\`: ${cell(r.negative)} |`;
}

/** The table's lines between the markers (header included). */
export function tableLines(doc = fs.readFileSync(PROOF_TABLE_DOC, 'utf8')): string[] {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`${PROOF_TABLE_DOC} has no ${TABLE_START} ... ${TABLE_END} section`);
  return doc
    .slice(start + TABLE_START.length, end)
    .split('\n')
    .filter((l) => l.startsWith('|'));
}

/** The rows of the table owned by `file`. */
export function documentedRows(file: string, lines = tableLines()): string[] {
  return lines.filter((l) => l.includes(`| \`${file}\`: `));
}

/**
 * What the table says for `file` and what the proof measured, as lines, for `expect(...).toEqual`.
 * With UPDATE_PROOF_TABLE=1 the file's rows are rewritten first (in place; new rows appended).
 */
export function proofRows(file: string, rows: readonly ProofRow[]): { documented: string[]; measured: string[] } {
  const measured = rows.map((r) => renderRow(file, r));
  if (process.env.UPDATE_PROOF_TABLE === '1') writeRows(file, measured);
  return { documented: documentedRows(file), measured };
}

function writeRows(file: string, measured: readonly string[]): void {
  const doc = fs.readFileSync(PROOF_TABLE_DOC, 'utf8');
  const start = doc.indexOf(TABLE_START) + TABLE_START.length;
  const end = doc.indexOf(TABLE_END);
  const lines = tableLines(doc);
  const body = lines.slice(TABLE_HEADER.length);
  const first = body.findIndex((l) => l.includes(`| \`${file}\`: `));
  const others = body.filter((l) => !l.includes(`| \`${file}\`: `));
  const at = first < 0 ? others.length : body.slice(0, first).filter((l) => !l.includes(`| \`${file}\`: `)).length;
  const next = [...TABLE_HEADER, ...others.slice(0, at), ...measured, ...others.slice(at)];
  fs.writeFileSync(PROOF_TABLE_DOC, `${doc.slice(0, start)}\n${next.join('\n')}\n${doc.slice(end)}`);
}
