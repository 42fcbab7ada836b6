/**
 * A local server is ready when *it* listens on its port (cli/support/port-owner.ts). Found after
 * test/faults/server-loss.test.ts failed once in 20 runs beside another test run: the backup its
 * DynamoDB kill should have broken succeeded, as if the killed JVM had never served it. A port
 * picked free can be taken by another process's server before the new server binds it; DynamoDB
 * Local then stays alive without a listener (checked by hand: "Failed to bind", no exit), and a
 * readiness check that only connects is answered by the other server. Here the collision is made
 * on purpose: the first port picked already has a listener of this process.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { freePort, startDynamoDbLocal, startVersionedS3 } from '../../cli/support/local-servers';
import { holdsListener, onFreshPort, PortTakenError } from '../../cli/support/port-owner';

jest.setTimeout(120_000);

/** A listener of this process on a free port: the "other process" that took the port first. */
async function squatter(): Promise<{ port: number; close: () => Promise<void> }> {
  const srv = net.createServer((sock) => sock.destroy());
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) };
}

/** Picks `first`, then free ports; counts the picks. */
function picker<P>(first: P, free: () => Promise<P>): { pick: () => Promise<P>; picks: P[] } {
  const picks: P[] = [];
  return { picks, pick: async () => (picks.push(picks.length === 0 ? first : await free()), picks[picks.length - 1]) };
}

describe('holdsListener (/proc)', () => {
  // A process with no listener and no children: "another process" (this test process is the
  // parent of every child here, so it holds their listeners as its descendants').
  let bystander: ChildProcess;
  beforeAll(() => {
    bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  });
  afterAll(() => {
    bystander.kill('SIGKILL');
  });

  it('names the process that listens on a port, and no other', async () => {
    const child = spawn(process.execPath, ['-e', "const s = require('net').createServer().listen(0, '127.0.0.1', () => console.log(s.address().port))"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const port = Number(await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()))));
      expect(holdsListener(child.pid!, port)).toBe(true);
      expect(holdsListener(bystander.pid!, port)).toBe(false);
      const { port: own, close } = await squatter();
      expect(holdsListener(process.pid, own)).toBe(true);
      expect(holdsListener(child.pid!, own)).toBe(false);
      await close();
      expect(holdsListener(process.pid, own)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("counts a listener of the process's own children (a `java` that is a wrapper script starting the JVM)", async () => {
    // `; exit` keeps sh from exec'ing node in its own place: node runs as sh's child.
    const script = "require('net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port) })";
    const wrapper = spawn('sh', ['-c', `"${process.execPath}" -e "${script}"; exit 0`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = Number(await new Promise<string>((resolve) => wrapper.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()))));
      expect(holdsListener(wrapper.pid!, port)).toBe(true);
      expect(holdsListener(bystander.pid!, port)).toBe(false);
    } finally {
      spawnSync('pkill', ['-KILL', '-P', String(wrapper.pid)]);
      wrapper.kill('SIGKILL');
    }
  });
});

describe('onFreshPort', () => {
  it('starts again on a new pick after PortTakenError, and stops at the third', async () => {
    let n = 0;
    const starts: number[] = [];
    const taken = (port: number) => {
      starts.push(port);
      throw new PortTakenError('x', port);
    };
    await expect(
      onFreshPort(
        async () => ++n,
        async (p) => taken(p),
      ),
    ).rejects.toThrow(/x: 127\.0\.0\.1:3 is answered by another process/);
    expect(starts).toEqual([1, 2, 3]);
    await expect(
      onFreshPort(
        async () => 7,
        async () => Promise.reject(new Error('java missing')),
      ),
    ).rejects.toThrow('java missing');
  });
});

describe('starting a server on a port another process took', () => {
  it('DynamoDB Local: the JVM that could not bind is stopped, and the server returned is a new one on another port', async () => {
    const other = await squatter();
    const children: ChildProcess[] = [];
    const { pick, picks } = picker(other.port, freePort);
    try {
      const { endpoint, child } = await startDynamoDbLocal('256m', (c) => children.push(c), pick);
      expect(picks).toHaveLength(2);
      expect(endpoint).toBe(`http://127.0.0.1:${picks[1]}`);
      expect(holdsListener(child.pid!, picks[1])).toBe(true);
      expect(children).toHaveLength(2);
      // The first JVM (alive without a listener, as DynamoDB Local stays after a failed bind) was killed.
      expect(children[0].killed).toBe(true);
    } finally {
      children.forEach((c) => c.kill('SIGKILL'));
      await other.close();
    }
  });

  it('Ceph RGW: start.sh refuses the taken port (exit 3) and the start picks new ports', async () => {
    const other = await squatter();
    const { pick, picks } = picker<readonly [number, number]>([other.port, await freePort()], async () => [await freePort(), await freePort()]);
    try {
      const rgw = await startVersionedS3({ pickPorts: pick });
      try {
        expect(picks).toHaveLength(2);
        expect(rgw.endpoint).toBe(`http://127.0.0.1:${picks[1][0]}`);
        expect(holdsListener(rgw.gatewayPid, picks[1][0])).toBe(true);
      } finally {
        await rgw.stop();
      }
    } finally {
      await other.close();
    }
  });
});
