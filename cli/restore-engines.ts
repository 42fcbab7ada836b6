/**
 * `dr restore`'s engine flags (--engine, --kms-key, --max-write-units, --performance-tier,
 * --poll-seconds) read into the engines' settings, and the refusal of engines no local endpoint has.
 */
import type { EngineSettings } from '../lambda/restore/restore';
import { parseEngineChoice } from '../lambda/restore/engines/select';
import { ConfigError, DrConfig, replicaKeyAlias } from '../lib/config';
import { CommandContext, UserError } from './context';

/** The engine flags of `dr restore`. */
export interface EngineFlags {
  readonly engine?: string;
  readonly dryRun?: boolean;
  readonly kmsKey?: string;
  readonly maxWriteUnits?: string;
  readonly performanceTier?: string;
  readonly pollSeconds?: string;
}

/**
 * Engines a named stand-in answers inside this process (cli/drill/standins/engine-standins.ts
 * registers `import` and `bulk` while it is installed, for the drill and the permissions proof):
 * with one installed, a local endpoint does have the API, so the refusal below stands aside.
 */
export const standInEngines = new Set<string>();

/**
 * ImportTable and bulk put exist only in AWS: no local DynamoDB (DynamoDB Local, the drill's
 * stand-ins run in-process only) answers them, and a started restore would leave a journal
 * locking an empty target to an engine that cannot run (issue #23 defect 9). Refused before
 * anything is read or written; a dry run (which sends nothing that writes) may still show the request.
 */
export function refuseLocalEngine(engine: string, dryRun: boolean, env: NodeJS.ProcessEnv = process.env): void {
  if (standInEngines.has(engine)) return;
  const variable = env.AWS_ENDPOINT_URL_DYNAMODB ? 'AWS_ENDPOINT_URL_DYNAMODB' : env.AWS_ENDPOINT_URL ? 'AWS_ENDPOINT_URL' : undefined;
  if (!variable || dryRun || (engine !== 'import' && engine !== 'bulk')) return;
  const api = engine === 'import' ? 'ImportTable' : 'bulk put (StartBulkPutItems)';
  throw new UserError(
    `--engine ${engine} cannot run against the local DynamoDB at ${env[variable]} (${variable}): no local engine has DynamoDB's ${api} API, so nothing was started or written. ` +
      `Use --engine write (or auto) against this endpoint, or unset ${variable} to restore into AWS`,
  );
}

/** The config if there is one: restore reads only restore.importThresholdBytes and the key alias from it. */
function optionalConfig(ctx: CommandContext): DrConfig | undefined {
  try {
    return ctx.config();
  } catch (e) {
    // No config file: the defaults apply. A config that is there but wrong still stops the restore.
    if (e instanceof ConfigError && e.problems.length === 1 && e.problems[0].startsWith('file not found')) return undefined;
    throw e;
  }
}

/** Engine settings from the flags and the config. Working in the recovery region, imports encrypt with the recovery key. */
export function engineSettings(ctx: CommandContext, opts: EngineFlags, signal?: AbortSignal): EngineSettings {
  const engine = asUserErrorSync(() => parseEngineChoice(opts.engine));
  refuseLocalEngine(engine, Boolean(opts.dryRun));
  const config = optionalConfig(ctx);
  const region = ctx.options.region ?? process.env.AWS_REGION;
  const recoveryKey = config && region === config.recovery.region ? replicaKeyAlias(config) : undefined;
  let maxWriteRequestUnits: number | undefined;
  if (opts.maxWriteUnits !== undefined) {
    maxWriteRequestUnits = Number(opts.maxWriteUnits);
    if (!/^\d+$/.test(opts.maxWriteUnits) || maxWriteRequestUnits < 1024)
      throw new UserError(`--max-write-units must be a whole number of at least 1024 (got "${opts.maxWriteUnits}"): StartBulkPutItems refuses less`);
  }
  const tier = opts.performanceTier?.toUpperCase();
  if (tier !== undefined && tier !== 'STANDARD' && tier !== 'ACCELERATED')
    throw new UserError(`--performance-tier must be STANDARD or ACCELERATED (got "${opts.performanceTier}")`);
  const pollSeconds = opts.pollSeconds === undefined ? undefined : Number(opts.pollSeconds);
  if (pollSeconds !== undefined && !(pollSeconds >= 0 && pollSeconds <= 300))
    throw new UserError(
      `--poll-seconds must be a number from 0 to 300 (got "${opts.pollSeconds}"): how often DynamoDB is asked how an import / bulk put is going`,
    );
  return {
    engine,
    importThresholdBytes: config?.restore.importThresholdBytes,
    kmsKeyId: opts.kmsKey ?? recoveryKey,
    maxWriteRequestUnits,
    performanceTier: tier as EngineSettings['performanceTier'],
    pollSeconds,
    signal,
  };
}

function asUserErrorSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}
