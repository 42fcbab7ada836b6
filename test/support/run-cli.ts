/**
 * Runs `dr` commands in-process for CLI tests: stdout, stderr and the exit code captured.
 */
import type { Command } from 'commander';
import { baseProgram } from '../../cli/program';

/** What one command run printed and its exit code. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A `dr` program with the global options of bin/dr.ts and the given commands. */
export function testProgram(...register: ((program: Command) => void)[]): Command {
  const program = baseProgram().exitOverride();
  for (const r of register) r(program);
  return program;
}

/** Parses `args` with `program`, capturing output and process.exitCode (restored afterwards). */
export async function runCli(program: Command, args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'dr', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = before;
  return { code, stdout, stderr };
}
