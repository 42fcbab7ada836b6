/**
 * The fault proxy: a loopback HTTP proxy in front of DynamoDB Local and S3 that injects faults into
 * chosen requests, so tests synchronise on a request the code under test makes instead of on a
 * clock.
 *
 * A child `dr` process reaches it through the standard SDK variables ({@link FaultProxy.env}:
 * AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_S3); in-process code through clients made on
 * {@link FaultProxy.endpoints}. Each rule picks requests by service, operation (X-Amz-Target for
 * DynamoDB), method, path, body and occurrence, and applies one fault:
 *
 * - `pass`: forward untouched (a marker to wait on, or to freeze after);
 * - `delay`: forward after `ms`;
 * - `hold`: keep the request until the test calls `release()` (then forward it);
 * - `reset`: close the connection without forwarding (the SDK sees ECONNRESET);
 * - `throttle`: answer as the service does when throttling (DynamoDB `ThrottlingException`, S3 `SlowDown`);
 * - `cut`: forward, then send the headers and only the first half of the body and close;
 * - `lose`: forward (the upstream applies it), then close without answering: a lost response.
 *
 * `freeze: true` on a rule stops the world at that request: every later request (to either
 * service) is held until {@link FaultProxy.thaw}. With `await rule.answered` and
 * `await proxy.settled()` a test knows exactly what reached the servers before it kills a child.
 *
 * Example, a kill at a known point:
 * ```ts
 * const proxy = await startFaultProxy({ dynamodb: local.servers.dynamodbEndpoint, s3: local.servers.s3Endpoint });
 * const mark = proxy.rule({ service: 'dynamodb', operation: 'BatchWriteItem', nth: 5 }, { kind: 'hold' });
 * const child = spawn(..., { env: { ...process.env, ...local.env, ...proxy.env } });
 * await mark.arrived;      // the 5th BatchWriteItem is held: the child waits on it
 * child.kill('SIGKILL');
 * await proxy.settled();   // nothing forwarded is still on its way to a server
 * await proxy.close();
 * ```
 */
import * as http from 'node:http';
import type * as net from 'node:net';

/** Which requests a rule applies to. Every given field must match. */
export interface RequestMatcher {
  /** @default - either service */
  readonly service?: 'dynamodb' | 's3';
  /** DynamoDB operation, the part of X-Amz-Target after the dot (`BatchWriteItem`). @default - any */
  readonly operation?: string;
  /** HTTP method (`PUT`). @default - any */
  readonly method?: string;
  /** Tested against the request path with its query (`/bucket/restores/t.json`). @default - any */
  readonly path?: RegExp;
  /** Tested against the request body as text. @default - any */
  readonly body?: (body: string) => boolean;
  /** The first occurrence (1-based, counted among the requests matching the fields above) the fault applies to. @default 1 */
  readonly nth?: number;
  /** How many occurrences from `nth` on get the fault. @default 1 (Infinity: all) */
  readonly times?: number;
}

/** What a rule does to the requests it matches. */
export type Fault =
  | { readonly kind: 'pass' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'hold' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'throttle' }
  | { readonly kind: 'cut' }
  | { readonly kind: 'lose' };

/** Options of a rule beyond its fault. */
export interface RuleOptions {
  /** From the first request this rule applies to on, every later request is held until `thaw()`. @default false */
  readonly freeze?: boolean;
}

/** A request as the proxy saw it. */
export interface SeenRequest {
  readonly service: 'dynamodb' | 's3';
  readonly method: string;
  readonly path: string;
  /** DynamoDB operation, '' for S3. */
  readonly operation: string;
  readonly body: string;
}

/** A rule added with {@link FaultProxy.rule}. */
export interface FaultRule {
  /** Resolves with the first request the fault was applied to, when it arrives (before the fault acts). */
  readonly arrived: Promise<SeenRequest>;
  /** Resolves when the fault has been applied in full to the first request (answer sent, cut, lost, reset). */
  readonly answered: Promise<void>;
  /** How many requests the fault was applied to so far. */
  readonly hits: number;
  /** Forwards the requests this rule holds (`hold`). */
  release(): void;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** The proxy's endpoints, one per service. */
  readonly endpoints: { readonly dynamodb: string; readonly s3: string };
  /** AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_S3 pointing at the proxy. */
  readonly env: Record<string, string>;
  /** Adds a rule; rules are tried in the order added, the first that applies wins. */
  rule(match: RequestMatcher, fault: Fault, opts?: RuleOptions): FaultRule;
  /** Requests seen so far, in arrival order. */
  readonly seen: readonly SeenRequest[];
  /** Resolves once `count` requests in all have reached the proxy (held ones included). */
  whenSeen(count: number): Promise<void>;
  /** Ends a freeze: forwards every request it held. */
  thaw(): void;
  /** Resolves once no forwarded request is waiting for its server's answer (held ones are not forwarded). */
  settled(): Promise<void>;
  /** Drops held requests, closes every connection and both listeners. */
  close(): Promise<void>;
}

/** Upstream servers of {@link startFaultProxy}. */
export interface FaultProxyUpstreams {
  /** DynamoDB Local endpoint, `http://127.0.0.1:port`. */
  readonly dynamodb: string;
  /** S3 endpoint, `http://127.0.0.1:port`. */
  readonly s3: string;
}

interface Pending {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly seen: SeenRequest;
  readonly raw: Buffer;
}

interface RuleState {
  readonly match: RequestMatcher;
  readonly fault: Fault;
  readonly freeze: boolean;
  seenCount: number;
  hits: number;
  held: Pending[];
  released: boolean;
  arrive: (r: SeenRequest) => void;
  answer: () => void;
}

/** Headers without the message framing (the proxy buffers bodies and sends them with a length). */
function withoutFraming(h: http.IncomingHttpHeaders): http.IncomingHttpHeaders {
  const { 'transfer-encoding': _te, 'content-length': _cl, connection: _c, ...rest } = h;
  return rest;
}

/** Starts the proxy on two free loopback ports, one per service. */
export async function startFaultProxy(upstreams: FaultProxyUpstreams): Promise<FaultProxy> {
  const rules: RuleState[] = [];
  const seen: SeenRequest[] = [];
  const sockets = new Set<net.Socket>();
  // Its own connection pool, destroyed by close(): no socket to a server outlives the proxy.
  const agent = new http.Agent({ keepAlive: true });
  let frozen = false;
  let frozenHeld: Pending[] = [];
  let inFlight = 0;
  let settleWaiters: (() => void)[] = [];
  let seenWaiters: { count: number; resolve: () => void }[] = [];

  const settle = () => {
    if (inFlight > 0) return;
    const w = settleWaiters;
    settleWaiters = [];
    w.forEach((f) => f());
  };

  /** Sends `p` to its upstream; resolves with the upstream's status, headers and body. */
  const forwardRaw = (p: Pending): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer } | undefined> => {
    const url = new URL(upstreams[p.seen.service]);
    inFlight++;
    return new Promise((resolve) => {
      const done = (v: { status: number; headers: http.IncomingHttpHeaders; body: Buffer } | undefined) => {
        inFlight--;
        resolve(v);
        settle();
      };
      // Host stays as the client sent it: the SigV4 signature covers it. The body is sent whole.
      const headers = { ...withoutFraming(p.req.headers), 'content-length': String(p.raw.length) };
      const up = http.request({ agent, host: url.hostname, port: url.port, method: p.req.method, path: p.req.url, headers }, (ur) => {
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => done({ status: ur.statusCode ?? 502, headers: ur.headers, body: Buffer.concat(chunks) }));
        ur.on('error', () => done(undefined));
      });
      up.on('error', () => done(undefined));
      up.end(p.raw);
    });
  };

  const forward = async (p: Pending): Promise<void> => {
    const r = await forwardRaw(p);
    if (!r) return void p.res.socket?.destroy();
    if (p.res.destroyed) return;
    p.res.writeHead(r.status, { ...withoutFraming(r.headers), 'content-length': String(r.body.length) });
    p.res.end(r.body);
  };

  const throttle = (p: Pending): void => {
    if (p.seen.service === 'dynamodb') {
      p.res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'ThrottlingException' });
      p.res.end(
        JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }),
      );
    } else {
      p.res.writeHead(503, { 'content-type': 'application/xml' });
      p.res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
    }
  };

  const apply = async (rule: RuleState, p: Pending): Promise<void> => {
    const f = rule.fault;
    switch (f.kind) {
      case 'pass':
        return forward(p);
      case 'delay':
        await new Promise((r) => setTimeout(r, f.ms));
        return forward(p);
      case 'hold':
        if (rule.released) return forward(p);
        rule.held.push(p);
        return new Promise<void>((resolve) => p.res.once('close', () => resolve()));
      case 'reset':
        p.req.socket.destroy();
        return;
      case 'throttle':
        return throttle(p);
      case 'cut': {
        const r = await forwardRaw(p);
        if (!r) return void p.res.socket?.destroy();
        p.res.writeHead(r.status, { ...withoutFraming(r.headers), 'content-length': String(r.body.length) });
        await new Promise<void>((resolve) => p.res.write(r.body.subarray(0, Math.floor(r.body.length / 2)), () => resolve()));
        p.res.socket?.destroy();
        return;
      }
      case 'lose':
        await forwardRaw(p);
        p.res.socket?.destroy();
        return;
    }
  };

  const matches = (m: RequestMatcher, s: SeenRequest): boolean =>
    (m.service === undefined || m.service === s.service) &&
    (m.operation === undefined || m.operation === s.operation) &&
    (m.method === undefined || m.method.toUpperCase() === s.method) &&
    (m.path === undefined || m.path.test(s.path)) &&
    (m.body === undefined || m.body(s.body));

  const handle = (service: 'dynamodb' | 's3') => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target'] ?? '');
      const s: SeenRequest = {
        service,
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        operation: target.split('.').pop() ?? '',
        body: raw.toString('utf8'),
      };
      seen.push(s);
      const due = seenWaiters.filter((w) => seen.length >= w.count);
      seenWaiters = seenWaiters.filter((w) => seen.length < w.count);
      due.forEach((w) => w.resolve());
      const p: Pending = { req, res, seen: s, raw };
      if (frozen) return void frozenHeld.push(p);
      for (const rule of rules) {
        if (!matches(rule.match, s)) continue;
        rule.seenCount++;
        const first = rule.match.nth ?? 1;
        const times = rule.match.times ?? 1;
        if (rule.seenCount < first || rule.seenCount >= first + times) continue;
        rule.hits++;
        if (rule.freeze) frozen = true;
        const isFirst = rule.hits === 1;
        if (isFirst) rule.arrive(s);
        void apply(rule, p).then(() => isFirst && rule.answer());
        return;
      }
      void forward(p);
    });
  };

  const listen = async (service: 'dynamodb' | 's3'): Promise<http.Server> => {
    const server = http.createServer(handle(service));
    server.on('connection', (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  };
  const servers = { dynamodb: await listen('dynamodb'), s3: await listen('s3') };
  const endpointOf = (s: http.Server) => `http://127.0.0.1:${(s.address() as net.AddressInfo).port}`;
  const endpoints = { dynamodb: endpointOf(servers.dynamodb), s3: endpointOf(servers.s3) };

  return {
    endpoints,
    env: { AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb, AWS_ENDPOINT_URL_S3: endpoints.s3 },
    seen,
    rule(match, fault, opts = {}) {
      let arrive!: (r: SeenRequest) => void;
      let answer!: () => void;
      const arrived = new Promise<SeenRequest>((r) => (arrive = r));
      const answered = new Promise<void>((r) => (answer = r));
      const state: RuleState = { match, fault, freeze: opts.freeze ?? false, seenCount: 0, hits: 0, held: [], released: false, arrive, answer };
      rules.push(state);
      return {
        arrived,
        answered,
        get hits() {
          return state.hits;
        },
        release() {
          state.released = true;
          const held = state.held;
          state.held = [];
          held.forEach((p) => void forward(p));
        },
      };
    },
    whenSeen(count) {
      if (seen.length >= count) return Promise.resolve();
      return new Promise((resolve) => seenWaiters.push({ count, resolve }));
    },
    thaw() {
      frozen = false;
      const held = frozenHeld;
      frozenHeld = [];
      held.forEach((p) => void forward(p));
    },
    settled() {
      return new Promise<void>((resolve) => {
        settleWaiters.push(resolve);
        settle();
      });
    },
    async close() {
      for (const sock of sockets) sock.destroy();
      agent.destroy();
      await Promise.all(Object.values(servers).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
