import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Loopback addresses for test boxes, 127.77.0.1 upwards. Several test runs (and several developers) share this
 * machine, so an address is leased with an exclusive file create; a lease whose process is gone is taken over.
 * Only 127.0.0.0/8: a test box never listens on a private-range or public address.
 */
const LEASE_DIR = join(tmpdir(), 'paddock-box-leases');
const FIRST = 1;
const LAST = 250 * 254;

export function addressFor(index: number): string {
  const third = Math.floor((index - 1) / 254);
  const fourth = ((index - 1) % 254) + 1;
  return `127.77.${third}.${fourth}`;
}

export function leaseAddress(avoid: ReadonlySet<string> = new Set()): string {
  mkdirSync(LEASE_DIR, { recursive: true });
  for (let index = FIRST; index <= LAST; index++) {
    const address = addressFor(index);
    if (avoid.has(address)) continue;
    const file = join(LEASE_DIR, address);
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return address;
    } catch {
      if (leaseIsStale(file)) {
        try {
          unlinkSync(file);
          writeFileSync(file, String(process.pid), { flag: 'wx' });
          return address;
        } catch {
          // Another process took it over first: try the next address.
        }
      }
    }
  }
  throw new Error('No free loopback address for a test box in 127.77.0.0/16');
}

/**
 * Leases one given address (a box coming back on the address its record pins). False when a live process holds it.
 */
export function leaseGivenAddress(address: string): boolean {
  mkdirSync(LEASE_DIR, { recursive: true });
  const file = join(LEASE_DIR, address);
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    // Already ours (this process kept it for the box), or free again because its holder is gone.
    if (readFileSync(file, 'utf8') === String(process.pid)) return true;
    if (!leaseIsStale(file)) return false;
    try {
      unlinkSync(file);
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      return false;
    }
  }
}

export function releaseAddress(address: string): void {
  try {
    const file = join(LEASE_DIR, address);
    if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
  } catch {
    // Already released.
  }
}

function leaseIsStale(file: string): boolean {
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return true;
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH' || (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Makes `pid` the holder of a lease this process took: a detached box outlives the process that started it. */
export function handOverLease(address: string, pid: number): void {
  writeFileSync(join(LEASE_DIR, address), String(pid));
}
