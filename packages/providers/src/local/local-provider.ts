import { type BoxProvider, type BoxSpec, checkBoxName, type ProvidedBox } from '../box-provider';
import type { LocalBox, LocalBoxHarness } from './local-box-harness';

/** Test boxes on this machine (tests, benchmarks, the `npm start` demo), behind the same interface as clouds. */
export class LocalProvider implements BoxProvider {
  readonly kind = 'local' as const;
  private labels = new Map<string, Record<string, string>>();

  constructor(private readonly harness: LocalBoxHarness) {}

  async create(spec: BoxSpec): Promise<ProvidedBox> {
    const name = checkBoxName(spec.name);
    const box = await this.harness.createBox({ name, authorizedKey: spec.loginPublicKey, hostKey: spec.hostKey });
    this.labels.set(name, spec.labels ?? {});
    return this.describe(box);
  }

  async status(providerId: string): Promise<ProvidedBox> {
    const box = this.harness.get(providerId);
    if (!box?.alive()) {
      return {
        provider: 'local',
        providerId,
        name: providerId,
        status: 'gone',
        host: null,
        port: 22,
        username: 'root',
        hostKeyFingerprint: null,
        labels: {},
      };
    }
    return this.describe(box);
  }

  async destroy(providerId: string): Promise<void> {
    await this.harness.destroyBox(providerId);
    this.labels.delete(providerId);
  }

  async list(): Promise<ProvidedBox[]> {
    return this.harness.list().map((box) => this.describe(box));
  }

  private describe(box: LocalBox): ProvidedBox {
    return {
      provider: 'local',
      providerId: box.id,
      name: box.id,
      status: box.alive() ? 'running' : 'gone',
      host: box.host,
      port: box.port,
      username: 'root',
      hostKeyFingerprint: box.hostKeyFingerprint,
      labels: this.labels.get(box.id) ?? {},
    };
  }
}
