/**
 * Contract of the fault proxy (test/support/fault-proxy.ts): each fault against a recording
 * upstream on loopback, and the throttling answers as the AWS SDK reads them. Other tests use the
 * proxy and do not test it again.
 */
import * as http from 'node:http';
import type * as net from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { FaultProxy, startFaultProxy } from './fault-proxy';

/** A loopback server that records each request and answers with a 1,000-byte body (or waits when told). */
interface Upstream {
  readonly url: string;
  readonly received: { method: string; path: string; body: string }[];
  /** While set, answers wait until `answerHeld()`. */
  holdAnswers: boolean;
  answerHeld(): void;
  /** Resolves when the next request has been received. */
  nextRequest(): Promise<void>;
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const waiting: http.ServerResponse[] = [];
  let onRequest: (() => void)[] = [];
  const answer = (res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('x'.repeat(1000));
  };
  const up: Upstream = {
    url: '',
    received: [],
    holdAnswers: false,
    answerHeld: () => waiting.splice(0).forEach(answer),
    nextRequest: () => new Promise((r) => onRequest.push(r)),
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      up.received.push({ method: req.method!, path: req.url!, body });
      onRequest.splice(0).forEach((f) => f());
      onRequest = [];
      if (up.holdAnswers) waiting.push(res);
      else answer(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (up as { url: string }).url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return up;
}

type Sent = { status: number; body: string } | { error: string };

/** One plain HTTP request to `endpoint`; resolves with the answer or the socket error. */
function send(endpoint: string, opts: { method?: string; path?: string; target?: string; body?: string } = {}): Promise<Sent> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = opts.target ? { 'x-amz-target': `DynamoDB_20120810.${opts.target}` } : {};
    const req = http.request(`${endpoint}${opts.path ?? '/'}`, { method: opts.method ?? 'POST', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', (e) => resolve({ error: e.message }));
      res.on('aborted', () => resolve({ error: 'aborted' }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
    req.end(opts.body ?? (opts.method === 'GET' ? undefined : '{}'));
  });
}

let upstream: Upstream;
let proxy: FaultProxy;
beforeEach(async () => {
  upstream = await startUpstream();
  proxy = await startFaultProxy({ dynamodb: upstream.url, s3: upstream.url });
});
afterEach(async () => {
  await proxy.close();
  await upstream.close();
});

test('without rules every request is forwarded and recorded with its DynamoDB operation', async () => {
  const r = await send(proxy.endpoints.dynamodb, { target: 'BatchWriteItem', body: '{"a":1}' });
  expect(r).toMatchObject({ status: 200 });
  expect(upstream.received).toEqual([{ method: 'POST', path: '/', body: '{"a":1}' }]);
  expect(proxy.seen).toEqual([{ service: 'dynamodb', method: 'POST', path: '/', operation: 'BatchWriteItem', body: '{"a":1}' }]);
  expect(proxy.env).toEqual({ AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoints.dynamodb, AWS_ENDPOINT_URL_S3: proxy.endpoints.s3 });
});

test('hold: the request waits at the proxy until release(), then reaches the server and is answered', async () => {
  const rule = proxy.rule({ operation: 'PutItem' }, { kind: 'hold' });
  const answer = send(proxy.endpoints.dynamodb, { target: 'PutItem' });
  expect(await rule.arrived).toMatchObject({ operation: 'PutItem' });
  expect(upstream.received).toHaveLength(0);
  rule.release();
  expect(await answer).toMatchObject({ status: 200 });
  expect(upstream.received).toHaveLength(1);
});

test('nth and times: only the chosen occurrences of the matching requests get the fault', async () => {
  const rule = proxy.rule({ service: 'dynamodb', operation: 'BatchWriteItem', nth: 2, times: 2 }, { kind: 'throttle' });
  const statuses: number[] = [];
  for (const target of ['BatchWriteItem', 'GetItem', 'BatchWriteItem', 'BatchWriteItem', 'BatchWriteItem']) {
    statuses.push(((await send(proxy.endpoints.dynamodb, { target })) as { status: number }).status);
  }
  expect(statuses).toEqual([200, 200, 400, 400, 200]);
  expect(rule.hits).toBe(2);
});

test('method, path and body matchers select S3 requests', async () => {
  const rule = proxy.rule({ service: 's3', method: 'PUT', path: /\/b\/restores\//, body: (b) => b.includes('"done":true') }, { kind: 'reset' });
  expect(await send(proxy.endpoints.s3, { method: 'PUT', path: '/b/restores/t.json', body: '{"done":false}' })).toMatchObject({ status: 200 });
  expect(await send(proxy.endpoints.s3, { method: 'PUT', path: '/b/other/t.json', body: '{"done":true}' })).toMatchObject({ status: 200 });
  expect(await send(proxy.endpoints.s3, { method: 'PUT', path: '/b/restores/t.json?x-id=PutObject', body: '{"done":true}' })).toHaveProperty('error');
  expect(rule.hits).toBe(1);
});

test('delay: the request is forwarded after the given time', async () => {
  proxy.rule({}, { kind: 'delay', ms: 300 });
  const start = process.hrtime.bigint();
  expect(await send(proxy.endpoints.dynamodb)).toMatchObject({ status: 200 });
  expect(Number(process.hrtime.bigint() - start) / 1e6).toBeGreaterThanOrEqual(290);
});

test('reset: the connection is closed and the server never sees the request', async () => {
  const rule = proxy.rule({}, { kind: 'reset' });
  expect(await send(proxy.endpoints.dynamodb)).toEqual({ error: expect.stringMatching(/socket hang up|ECONNRESET/) });
  await rule.answered;
  expect(upstream.received).toHaveLength(0);
});

test('lose: the server applies the request but the client never gets the answer', async () => {
  const rule = proxy.rule({}, { kind: 'lose' });
  expect(await send(proxy.endpoints.dynamodb, { body: '{"write":1}' })).toHaveProperty('error');
  await rule.answered;
  expect(upstream.received).toEqual([expect.objectContaining({ body: '{"write":1}' })]);
});

test('cut: the client gets the headers and half of the body, then the connection closes', async () => {
  proxy.rule({}, { kind: 'cut' });
  let got = 0;
  let length: string | undefined;
  const result = await new Promise<string>((resolve) => {
    http
      .request(`${proxy.endpoints.s3}/b/k`, { method: 'GET' }, (res) => {
        length = res.headers['content-length'];
        res.on('data', (c: Buffer) => (got += c.length));
        res.on('aborted', () => resolve('aborted'));
        res.on('error', () => resolve('error'));
        res.on('end', () => resolve('end'));
      })
      .on('error', () => resolve('error'))
      .end();
  });
  expect(result).not.toBe('end');
  expect(length).toBe('1000');
  expect(got).toBe(500);
});

test('throttle, mocked answer: the SDK reads a DynamoDB ThrottlingException and an S3 SlowDown', async () => {
  proxy.rule({}, { kind: 'throttle' }, {});
  proxy.rule({}, { kind: 'throttle' });
  const creds = { accessKeyId: 'k', secretAccessKey: 's' };
  const ddb = new DynamoDBClient({ endpoint: proxy.endpoints.dynamodb, region: 'eu-west-1', credentials: creds, maxAttempts: 1 });
  const s3 = new S3Client({ endpoint: proxy.endpoints.s3, region: 'eu-west-1', credentials: creds, forcePathStyle: true, maxAttempts: 1 });
  try {
    await expect(ddb.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    await expect(s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }))).rejects.toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
  } finally {
    ddb.destroy();
    s3.destroy();
  }
  expect(upstream.received).toHaveLength(0);
});

test('freeze: after the marked request passes, every later request to either service is held until thaw()', async () => {
  const mark = proxy.rule({ operation: 'UpdateItem' }, { kind: 'pass' }, { freeze: true });
  expect(await send(proxy.endpoints.dynamodb, { target: 'UpdateItem' })).toMatchObject({ status: 200 });
  await mark.answered;
  const later = [send(proxy.endpoints.dynamodb, { target: 'PutItem' }), send(proxy.endpoints.s3, { method: 'GET', path: '/b/k' })];
  // Both requests reached the proxy (recorded) and none reached the server.
  await proxy.whenSeen(3);
  expect(upstream.received).toHaveLength(1);
  proxy.thaw();
  expect(await Promise.all(later)).toEqual([expect.objectContaining({ status: 200 }), expect.objectContaining({ status: 200 })]);
  expect(upstream.received).toHaveLength(3);
});

test('settled(): resolves only once no forwarded request still waits for the server', async () => {
  upstream.holdAnswers = true;
  const arrived = upstream.nextRequest();
  const answer = send(proxy.endpoints.dynamodb);
  await arrived;
  let settled = false;
  const s = proxy.settled().then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  expect(settled).toBe(false);
  upstream.answerHeld();
  await s;
  expect(await answer).toMatchObject({ status: 200 });
});
