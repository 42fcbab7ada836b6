/**
 * `dr catalog rebuild`: writes the catalog entry of every committed set that has none (a run
 * killed between metadata.json and its entry, or a set copied in without one), so `dr list`,
 * `latest` and `--before` see it again without `--scan`.
 *
 *   dr catalog rebuild [--json]
 *
 * It lists every file of the bucket once (the cost of `dr list --scan`), then writes one entry
 * per set that lacks it, from metadata.json as stored. Sets that are damaged, failed or
 * incomplete are reported and left as they are.
 */
import { Command } from 'commander';
import { listCatalog } from '../lambda/store/catalog';
import { healCatalogEntry } from '../lambda/store/catalog-write';
import { assertBackupBucket } from '../lambda/validate/validate';
import { action, contextFrom, errorMessage, UserError } from './context';

/** Registers `dr catalog rebuild`. */
export function registerCatalogCommand(program: Command): void {
  const catalog = program.command('catalog').description('the catalog of backup sets (one small entry per set)');
  catalog
    .command('rebuild')
    .description('write the catalog entry of every committed set that has none (found by listing every file; slow: grows with files)')
    .action(
      action(async (_opts: unknown, command: Command) => {
        const ctx = contextFrom(command);
        const bucket = ctx.bucket();
        await assertBackupBucket(ctx.s3, bucket).catch((e) => {
          throw new UserError(errorMessage(e));
        });
        const { sets } = await listCatalog({ s3: ctx.s3, bucket, fullScan: true });
        const missing = sets.filter((s) => s.foundBy === 'scan');
        const written: string[] = [];
        for (const s of missing.filter((x) => x.status === 'complete')) if (await healCatalogEntry(ctx.s3, bucket, s)) written.push(`${s.tier}/${s.backupId}`);
        const left = missing.filter((x) => x.status !== 'complete').map((x) => `${x.tier}/${x.backupId} (${x.status})`);
        if (ctx.json) return ctx.printJson({ written, left });
        process.stdout.write(
          `${written.length} catalog entr${written.length === 1 ? 'y' : 'ies'} written${written.length ? `: ${written.join(', ')}` : ''}\n` +
            (left.length ? `${left.length} set(s) without an entry left as they are (not complete): ${left.join(', ')}\n` : ''),
        );
      }),
    );
}
