/**
 * The s3rver patch (cli/support/s3rver-atomic-put.ts): when s3rver's store says a PutObject is
 * done, the whole object is on disk, and the old object is replaced whole (never truncated first).
 * Run on s3rver's own FilesystemStore in this process; unpatched, the first test fails (the store
 * resolves while its file stream is still writing).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { s3rverAtomicPutScript } from '../../cli/support/s3rver-atomic-put';

const main = require.resolve('s3rver');
const Store = require(path.join(path.dirname(main), 'stores', 'filesystem.js'));
new Function('require', s3rverAtomicPutScript(main))(require);

const SIZE = 32 * 1024 * 1024;
let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-s3rver-patch-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('a put is answered only once the whole object is on disk (a 32 MiB Buffer body)', async () => {
  const store = new Store(root);
  const put = await store.putObject({ bucket: 'b', key: 'big.bin', content: Buffer.alloc(SIZE, 7), metadata: {} });
  expect(put.size).toBe(SIZE);
  expect(fs.statSync(store.getResourcePath('b', 'big.bin', 'object')).size).toBe(SIZE);
});

test('a streamed put replaces the old object whole, leaves no temporary file, and reports size and md5', async () => {
  const store = new Store(root);
  await store.putObject({ bucket: 'b', key: 'j.json', content: Buffer.from('{"v":1}'), metadata: {} });
  const body = '{"v":2,"pad":"' + 'x'.repeat(100_000) + '"}';
  const put = await store.putObject({ bucket: 'b', key: 'j.json', content: Readable.from([Buffer.from(body)]), metadata: {} });
  expect(fs.readFileSync(store.getResourcePath('b', 'j.json', 'object'), 'utf8')).toBe(body);
  expect(put).toEqual({ size: body.length, md5: require('node:crypto').createHash('md5').update(body).digest('hex') });
  expect(fs.readdirSync(path.join(root, 'b')).filter((f) => f.includes('.writing-'))).toEqual([]);
});
