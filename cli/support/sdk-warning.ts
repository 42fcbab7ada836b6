/**
 * The AWS SDK's Node version warning, said once and before any progress output.
 *
 * The SDK (@aws-sdk/core, `emitWarningIfUnsupportedVersion`) calls `process.emitWarning` when the
 * first client is built on Node < 22; Node prints it asynchronously, so it landed in the middle
 * of progress bars. Its documented switch, `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true`,
 * silences it; we set it before any client exists and print one line of our own instead, or
 * nothing for `dr drill --local` (a local rehearsal, where the notice is noise).
 */

import type { Command } from 'commander';

/** The SDK's own switch for its Node version warning. */
export const SDK_NODE_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
/** The Node major version later SDK releases need. */
export const SDK_NODE_MAJOR = 22;

/** Options of {@link settleSdkNodeWarning}. */
export interface SdkNodeWarningOptions {
  /** true: say nothing (the local drill). */
  readonly quiet: boolean;
  /** @default process.version */
  readonly nodeVersion?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default - writes to stderr */
  readonly write?: (line: string) => void;
}

/**
 * Silences the SDK's warning and, unless `quiet` or already silenced, prints one line of ours.
 * Returns true when it printed. Call it before any SDK client is created.
 */
export function settleSdkNodeWarning(opts: SdkNodeWarningOptions): boolean {
  const env = opts.env ?? process.env;
  if (env[SDK_NODE_WARNING_SWITCH] === 'true') return false;
  env[SDK_NODE_WARNING_SWITCH] = 'true';
  const version = opts.nodeVersion ?? process.version;
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? SDK_NODE_MAJOR);
  if (major >= SDK_NODE_MAJOR || opts.quiet) return false;
  (opts.write ?? ((l: string) => process.stderr.write(l)))(
    `note: Node ${version}: AWS SDK releases after early January 2027 need Node ${SDK_NODE_MAJOR} or later; upgrade Node to keep getting SDK fixes (${SDK_NODE_WARNING_SWITCH}=true hides this note)\n`,
  );
  return true;
}

/** Settles the warning in a preAction hook of `program`: before any command creates a client. */
export function settleSdkNodeWarningBeforeActions(program: Command): Command {
  return program.hook('preAction', (_root, command) => {
    settleSdkNodeWarning({ quiet: command.name() === 'drill' && Boolean(command.opts().local) });
  });
}
