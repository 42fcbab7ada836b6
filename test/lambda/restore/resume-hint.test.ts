/**
 * Issue #23 defect 13: the "to finish" hint of a set restore that failed part-way is a command
 * that names the same targets: it keeps --suffix (and --into-existing) beside --tables.
 */
import { RestoreIncompleteError } from '../../../lambda/restore/parallel';
import type { RestorePlanTable } from '../../../lambda/restore/types';

const table = (source: string, target: string) => ({ source, target, items: 10 }) as unknown as RestorePlanTable;

test('a custom --suffix is kept in the resume hint', () => {
  const e = new RestoreIncompleteError(
    'daily/2026-12-01',
    [{ table: table('orders', 'orders-dr'), error: new Error('boom') }],
    [],
    [table('users', 'users-dr')],
    false,
  );
  expect(e.message).toContain('dr restore daily/2026-12-01 --resume --tables orders,users --suffix "-dr" --confirm');
});

test('--into-existing is kept, and no --suffix is added', () => {
  const e = new RestoreIncompleteError('daily/2026-12-01', [{ table: table('orders', 'orders'), error: new Error('boom') }], [], [], true);
  expect(e.message).toContain('dr restore daily/2026-12-01 --resume --tables orders --into-existing --confirm');
});
