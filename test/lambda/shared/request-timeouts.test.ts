/**
 * Issue 23 #4: a request nobody answers must not hang `dr restore` or `dr validate`. The clients
 * carry connection and request (socket idle) timeouts, so the attempt fails and the SDK's retries
 * take over. Proven against a loopback server that accepts every request and never answers: on
 * the old clients (no timeout) these calls never settle and the test fails by its own timeout.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createDynamoDbClient, createS3Client } from '../../../lambda/shared/clients';

let server: http.Server;
let received = 0;
const held: http.ServerResponse[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    received++;
    req.resume();
    held.push(res); // never answered
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: url,
    AWS_ENDPOINT_URL_S3: url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});
afterAll(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  process.env = saved;
});
beforeEach(() => (received = 0));

test('DynamoDB: an unanswered request times out and is retried, then fails with a timeout, never hangs', async () => {
  const client = createDynamoDbClient({ maxAttempts: 2, socketIdleTimeoutMs: 300 });
  await expect(client.send(new DescribeTableCommand({ TableName: 'orders' }))).rejects.toMatchObject({ name: expect.stringMatching(/TimeoutError/) });
  expect(received).toBe(2);
  client.destroy();
}, 20_000);

test('S3: an unanswered request times out and is retried, then fails with a timeout, never hangs', async () => {
  const client = createS3Client({ maxAttempts: 2, socketIdleTimeoutMs: 300 });
  await expect(client.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' }))).rejects.toMatchObject({ name: expect.stringMatching(/TimeoutError/) });
  expect(received).toBe(2);
  client.destroy();
}, 20_000);
