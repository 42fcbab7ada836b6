/**
 * Whose server answers on a loopback port. A local server is started on a port picked free a
 * moment earlier (`freePort`); another process may take the same port in between (two test runs,
 * or two workers, starting servers at once). The second server then fails to bind, and DynamoDB
 * Local even stays alive after it, while a connect to the port reaches the first process's server:
 * "ready" would point the caller at someone else's DynamoDB Local or s3rver, which accept the same
 * credentials. A kill test then kills a server nobody uses, and the run it should break succeeds.
 * {@link holdsListener} tells which process holds the listener, so a start can be retried.
 */
import * as fs from 'node:fs';

/** TCP state LISTEN in /proc/net/tcp. */
const LISTEN = '0A';

/** Socket inodes of the TCP listeners on `port` (IPv4 and IPv6 tables), or undefined when /proc has no tables. */
function listenerInodes(port: number): Set<string> | undefined {
  const inodes = new Set<string>();
  let tables = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    tables++;
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== LISTEN) continue;
      if (parseInt(f[1].slice(f[1].lastIndexOf(':') + 1), 16) === port) inodes.add(f[9]);
    }
  }
  return tables > 0 ? inodes : undefined;
}

/** Whether one of `pid`'s open files is a socket in `inodes`; undefined when its files cannot be read. */
function holdsSocket(pid: number, inodes: Set<string>): boolean | undefined {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return fs.existsSync(`/proc/${pid}`) ? undefined : false;
  }
  for (const fd of fds) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed since the listing
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode && inodes.has(inode)) return true;
  }
  return false;
}

/** The processes below `pid` (children, theirs, ...), from each process's parent in /proc/N/stat. */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(ppid, [...(parentOf.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone since the listing
    }
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0;) {
    const children = parentOf.get(queue.shift()!) ?? [];
    found.push(...children);
    queue.push(...children);
  }
  return found;
}

/**
 * Whether process `pid`, or a process it started (a `java` that is a wrapper script, say), holds a
 * TCP listener on `port`: read from /proc/net/tcp{,6} and the processes' open files
 * (/proc/PID/fd). Undefined where /proc cannot tell (not Linux, or the process's files are not
 * readable): the caller then trusts the port as before.
 */
export function holdsListener(pid: number, port: number): boolean | undefined {
  const inodes = listenerInodes(port);
  if (!inodes) return undefined;
  if (inodes.size === 0) return false;
  const own = holdsSocket(pid, inodes);
  if (own !== false) return own;
  return descendants(pid).some((child) => holdsSocket(child, inodes) === true);
}

/**
 * A port picked for a start is another process's: taken between the pick and the bind. `reason`
 * says how it was found, when not by the listener check (start.sh's "port ... is already in use").
 */
export class PortTakenError extends Error {
  constructor(
    readonly what: string,
    readonly port: number,
    reason?: string,
  ) {
    super(`${what}: ${reason ?? `127.0.0.1:${port} is answered by another process`} (the port was taken after it was picked)`);
    this.name = 'PortTakenError';
  }
}

/**
 * Runs `start` on ports from `pick` (a port, or a set of them) until the server it starts is the
 * one answering: a {@link PortTakenError} means another process took the port, so new ones are
 * picked (at most `attempts` starts); any other error ends the tries.
 */
export async function onFreshPort<P, T>(pick: () => Promise<P>, start: (ports: P) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await pick());
    } catch (e) {
      if (!(e instanceof PortTakenError) || attempt >= attempts) throw e;
    }
  }
}
