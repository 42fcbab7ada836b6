/**
 * s3rver 3.7.1 answers a PutObject before the object's bytes are on disk: its FilesystemStore
 * resolves `putObject` once the request body has been read (its Transform's 'finish', or at once
 * for a Buffer) while the file stream it pipes into is still writing, and that stream truncated
 * the previous object when it opened. A GET sent after the PUT's answer can then read an empty or
 * half-written object: the restore journal read back right after a write failed with "Unexpected
 * end of JSON input" in about 1 of 13 runs of test/lambda/restore/journal.test.ts.
 *
 * Amazon S3 is strongly read-after-write consistent and never serves a partial object, so the
 * emulator is made to behave the same before it starts: the object is written to a temporary file
 * beside it (a name its listing ignores: it does not end in `._S3rver_object`), awaited until the
 * file is written and closed, then renamed over the old one (atomic on one filesystem); only then
 * are its metadata written and the PUT answered.
 */

import * as path from 'node:path';

/**
 * JavaScript that patches s3rver's FilesystemStore (found beside `s3rverMain`, the resolved path of
 * the `s3rver` package) in the process that runs it; run it before the server is created.
 */
export function s3rverAtomicPutScript(s3rverMain: string): string {
  const store = JSON.stringify(path.join(path.dirname(s3rverMain), 'stores', 'filesystem.js'));
  return `(() => {
  const fs = require('fs');
  const path = require('path');
  const crypto = require('crypto');
  const stream = require('stream');
  const Store = require(${store});
  let written = 0;
  Store.prototype.putObject = async function putObject(object) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await fs.promises.mkdir(path.dirname(objectPath), { recursive: true });
    const temporary = objectPath + '.writing-' + process.pid + '-' + ++written;
    const md5 = crypto.createHash('md5');
    let size = 0;
    const source = Buffer.isBuffer(object.content) ? stream.Readable.from([object.content]) : object.content;
    const count = new stream.Transform({ transform(chunk, encoding, done) { md5.update(chunk); size += chunk.length; done(null, chunk); } });
    try {
      await stream.promises.pipeline(source, count, fs.createWriteStream(temporary));
      await fs.promises.rename(temporary, objectPath);
    } catch (e) {
      await fs.promises.rm(temporary, { force: true });
      throw e;
    }
    const digest = md5.digest('hex');
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
})();`;
}
