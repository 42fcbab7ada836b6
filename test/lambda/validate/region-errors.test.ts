/**
 * Errors of a command pointed at the wrong region, with aws-sdk-client-mock (s3rver and DynamoDB
 * Local answer in any region, so neither can produce a redirect or a table missing "here").
 */
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { describeTable } from '../../../lambda/backup/schema';
import { assertBackupBucket } from '../../../lambda/validate/validate';

const ddb = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);

beforeEach(() => {
  ddb.reset();
  s3.reset();
});

/** The error S3 answers for a bucket of another region: 301 PermanentRedirect. */
function redirect(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: status },
    message: 'The bucket you are attempting to access must be addressed using the specified endpoint.',
  });
}

test.each([
  ['PermanentRedirect', 301],
  ['AuthorizationHeaderMalformed', 400],
  ['Unknown', 301],
])('a backup bucket of another region (%s, HTTP %i) says which region was used and what to pass (aws-sdk-client-mock)', async (name, status) => {
  s3.on(ListObjectsV2Command).rejects(redirect(name, status));
  const client = new S3Client({ region: 'eu-west-1' });
  await expect(assertBackupBucket(client, 'shop-dr-backups-123-eu-central-1')).rejects.toThrow(
    'bucket "shop-dr-backups-123-eu-central-1" is not in eu-west-1: pass --region <the bucket\'s region>',
  );
});

test('an S3 error that is not about the region is passed on unchanged (aws-sdk-client-mock)', async () => {
  s3.on(ListObjectsV2Command).rejects(redirect('AccessDenied', 403));
  await expect(assertBackupBucket(new S3Client({ region: 'eu-west-1' }), 'b')).rejects.toMatchObject({ name: 'AccessDenied' });
});

test('a table missing from the region used names the table and that region (aws-sdk-client-mock)', async () => {
  ddb.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
  await expect(describeTable(new DynamoDBClient({ region: 'eu-central-1' }), 'orders')).rejects.toThrow(
    'table "orders" does not exist in eu-central-1: check the table list (config "tables" or --tables) and the region (--region / AWS_REGION)',
  );
});
