/**
 * What every `dr` command shares: global options, config, clients, output.
 *
 * `--json` makes stdout machine-readable: only the command's JSON result goes there; people's
 * messages and progress go to stderr.
 */
import type { Command } from 'commander';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError, DrConfig, loadConfig } from '../lib/config';
import { createDynamoDbClient, createS3Client } from '../lambda/shared/clients';
import { describeError } from '../lambda/shared/errors';

/** Global options of the `dr` program. */
export interface GlobalOptions {
  readonly config: string;
  readonly region?: string;
  readonly profile?: string;
  readonly bucket?: string;
  readonly json?: boolean;
}

/** Everything a command needs, built from the global options. */
export interface CommandContext {
  readonly options: GlobalOptions;
  /** Loads and validates the config on first use (commands that need none never read it). */
  config(): DrConfig;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  /** Backup bucket: --bucket, then DR_BACKUP_BUCKET; throws a clear message when neither is set. */
  bucket(): string;
  readonly json: boolean;
  /** True when stderr is a terminal (progress bars and tables); plain lines otherwise. */
  readonly interactive: boolean;
  /** A message for people (stderr, so --json output stays clean). */
  info(message: string): void;
  /** Prints the machine-readable result on stdout. */
  printJson(value: unknown): void;
}

/** A failure the user can fix; printed without a stack trace, exit code 1 (or `exitCode`). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * `--tables a,b`: the names split and trimmed, each once. A name given twice is kept once, with a
 * note on stderr (restoring or backing up a table twice in one run would race with itself).
 * `undefined` when the option was not given.
 */
export function parseTablesOption(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unique = [...new Set(names)];
  const repeated = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
  if (repeated.length) process.stderr.write(`note: --tables lists ${repeated.map((n) => `"${n}"`).join(', ')} more than once; each table is used once\n`);
  return unique;
}

/** Builds the context from the program's global options. */
export function contextFrom(command: Command): CommandContext {
  const options = command.optsWithGlobals() as GlobalOptions;
  let cached: DrConfig | undefined;
  const region = options.region ?? process.env.AWS_REGION;
  return {
    options,
    config() {
      cached ??= loadConfig(options.config);
      return cached;
    },
    dynamodb: createDynamoDbClient({ region, profile: options.profile }),
    s3: createS3Client({ region, profile: options.profile }),
    bucket() {
      const b = options.bucket ?? process.env.DR_BACKUP_BUCKET;
      if (!b)
        throw new UserError(
          'no backup bucket given: pass --bucket <name> or set DR_BACKUP_BUCKET (the name is in the production stack output "BackupBucketName")',
        );
      return b;
    },
    json: Boolean(options.json),
    interactive: Boolean(process.stderr.isTTY) && !options.json,
    info(message: string) {
      process.stderr.write(`${message}\n`);
    },
    printJson(value: unknown) {
      process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}

/**
 * The message printed for an error. The SDK's own "Region is missing" names neither the option nor
 * the variable, and at 3 a.m. that is the one thing the operator needs.
 */
export function errorMessage(e: unknown): string {
  const message = describeError(e);
  if (message === 'Region is missing')
    return 'no AWS region: pass --region <region> or set AWS_REGION (the region the tables live in, "primary.region" in dr.config.json; the recovery region when working from the replica bucket)';
  return message;
}

/** Wraps a command action: maps UserError and ConfigError to a message and exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof UserError) {
        process.stderr.write(`error: ${errorMessage(e)}\n`);
        process.exitCode = e.exitCode;
      } else if (e instanceof ConfigError) {
        process.stderr.write(`error: ${e.message}\n`);
        process.exitCode = 1;
      } else {
        process.stderr.write(`error: ${errorMessage(e)}\n`);
        if (process.env.DR_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
        process.exitCode = 1;
      }
    }
  };
}
