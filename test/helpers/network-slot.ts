// Each test daemon gets network resources no other daemon on the machine uses at the same time:
// a slot N (0-99) claimed by an atomic mkdir, giving the default bridge `kapt<N>` on
// 10.99.N.1/24, the address pool 10.(100+N).0.0/16 for its networks and the nftables table
// `kapal_t<N>`. Releasing a slot removes what a daemon may have left of them (its bridges carry
// the alias `kapal <table>`), synchronously, so it also runs at exit.

import { mkdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { bridgesWithAlias } from '../../src/runtime/network/links.js';
import { deleteTableSync } from '../../src/runtime/network/nftables.js';

const SLOTS_DIR = '/run/kapal-test-network-slots';
const SLOTS = 100;

export interface NetworkSlot {
  n: number;
  bridge: string;
  bip: string;
  pool: { base: string; size: number };
  table: string;
  /** daemon.json keys for these resources. */
  config: Record<string, unknown>;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function claim(n: number): boolean {
  const dir = `${SLOTS_DIR}/${n}`;
  try {
    mkdirSync(dir);
  } catch {
    // Taken: steal it only from a test process that is gone (killed before it could release).
    let owner = 0;
    try {
      owner = Number(readFileSync(`${dir}/pid`, 'utf8'));
    } catch {
      return false; // being claimed right now
    }
    if (!owner || alive(owner)) return false;
    cleanUp(n);
    rmSync(dir, { recursive: true, force: true });
    try {
      mkdirSync(dir);
    } catch {
      return false;
    }
  }
  writeFileSync(`${dir}/pid`, String(process.pid));
  return true;
}

function cleanUp(n: number): void {
  const table = `kapal_t${n}`;
  for (const bridge of new Set([...bridgesWithAlias(`kapal ${table}`), `kapt${n}`])) {
    spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  }
  try {
    deleteTableSync(table);
  } catch {
    // a clean-up never fails the test
  }
}

/** Daemons restarted on one directory share its slot: their containers stay on its bridge. */
const byDir = new Map<string, { slot: NetworkSlot; users: number }>();

export function networkSlotFor(dir: string): NetworkSlot {
  const held = byDir.get(dir);
  if (held) {
    held.users++;
  } else {
    byDir.set(dir, { slot: claimNetworkSlot(), users: 1 });
  }
  const entry = byDir.get(dir)!;
  let done = false;
  return {
    ...entry.slot,
    release() {
      if (done) return;
      done = true;
      if (--entry.users > 0) return;
      byDir.delete(dir);
      entry.slot.release();
    },
  };
}

export function claimNetworkSlot(): NetworkSlot {
  mkdirSync(SLOTS_DIR, { recursive: true });
  const start = (process.pid * 7) % SLOTS;
  for (let i = 0; i < SLOTS; i++) {
    const n = (start + i) % SLOTS;
    if (!claim(n)) continue;
    const slot = {
      n,
      bridge: `kapt${n}`,
      bip: `10.99.${n}.1/24`,
      pool: { base: `10.${100 + n}.0.0/16`, size: 24 },
      table: `kapal_t${n}`,
    };
    let released = false;
    return {
      ...slot,
      config: { bridge: slot.bridge, bip: slot.bip, 'default-address-pools': [slot.pool], 'nft-table': slot.table },
      release() {
        if (released) return;
        released = true;
        cleanUp(n);
        rmSync(`${SLOTS_DIR}/${n}`, { recursive: true, force: true });
        try {
          rmdirSync(SLOTS_DIR);
        } catch {
          // other slots are in use
        }
      },
    };
  }
  throw new Error(`no free test network slot in ${SLOTS_DIR}`);
}
