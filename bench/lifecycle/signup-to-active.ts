import type { Figure } from '../harness';
import type { LifecycleEnv } from '../../test/lifecycle/support/lifecycle-env';

/**
 * Signup to `active`, one tenant at a time, through the real worker: create a local test box (a real sshd), wait
 * until it answers, pin its host key, bootstrap, deploy the current runtime release, push secrets, health check.
 * The clock starts when the signup transaction commits and stops when the tenant row says `active`.
 */
export async function measureSignupToActive(
  env: LifecycleEnv,
  tenants: number,
  log: (line: string) => void,
): Promise<{ figures: Figure[]; signups: { tenantId: string; apiKey: string }[] }> {
  const walls: number[] = [];
  const signups: { tenantId: string; apiKey: string }[] = [];
  for (let i = 0; i < tenants; i++) {
    const signup = await env.signUp(`bench-active-${i}`);
    await env.waitForTenant(signup.tenantId, 'active', 300_000);
    const wall = (Date.now() - signup.startedAt) / 1000;
    walls.push(wall);
    signups.push({ tenantId: signup.tenantId, apiKey: signup.apiKey });
    log(`signup ${i + 1}/${tenants} to active in ${wall.toFixed(2)} s`);
  }
  const sorted = [...walls].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  return {
    signups,
    figures: [
      { name: 'signup to active (median)', value: median, unit: 's', target: { op: '<', value: 15 } },
      { name: 'signup to active (worst)', value: sorted[sorted.length - 1] ?? Number.NaN, unit: 's' },
    ],
  };
}
