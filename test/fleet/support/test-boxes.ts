import {
  type BoxTarget,
  type FleetEvent,
  type FleetRecorder,
  generateSshKeyPair,
  SshPool,
  type SshPoolOptions,
} from '@paddock/fleet';
import { type LocalBox, LocalBoxHarness } from '@paddock/providers';

/** The recorder's consumer in tests: every event in order, to check what the service layer would store. */
export function collectEvents(): FleetRecorder & { events: FleetEvent[] } {
  const events: FleetEvent[] = [];
  return {
    events,
    record(event) {
      events.push(event);
    },
  };
}

export interface TestFleet {
  harness: LocalBoxHarness;
  boxes: LocalBox[];
  /** The control plane's login key for these boxes (one key for all, for speed; production makes one per box). */
  loginKey: ReturnType<typeof generateSshKeyPair>;
  target(box: LocalBox, overrides?: Partial<BoxTarget>): BoxTarget;
  pool(options?: SshPoolOptions): SshPool;
  destroy(): Promise<void>;
}

/** Boxes for one test file: made once in beforeAll, reused by its tests, destroyed in afterAll. */
export async function createTestFleet(count: number): Promise<TestFleet> {
  const harness = new LocalBoxHarness();
  const loginKey = generateSshKeyPair('paddock control plane (tests)');
  const pools: SshPool[] = [];
  try {
    const boxes = await harness.createBoxes(count, { authorizedKey: loginKey.publicKey });
    return {
      harness,
      boxes,
      loginKey,
      target: (box, overrides) => ({
        id: box.id,
        host: box.host,
        port: box.port,
        username: 'root',
        privateKey: loginKey.privateKey,
        hostKey: { kind: 'pinned', fingerprint: box.hostKeyFingerprint },
        ...overrides,
      }),
      pool: (options) => {
        const pool = new SshPool({ timeouts: { connectMs: 10_000, commandMs: 60_000 }, ...options });
        pools.push(pool);
        return pool;
      },
      destroy: async () => {
        await Promise.all(pools.map((p) => p.close(2_000)));
        await harness.destroyAll();
      },
    };
  } catch (error) {
    await harness.destroyAll();
    throw error;
  }
}
