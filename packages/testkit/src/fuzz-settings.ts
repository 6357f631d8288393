import { z } from 'zod';

// How hard the property-based fuzz suites (test/fuzz) push. `npm test` runs the short profile: a fixed seed, so a
// run is reproducible, and few runs per property, so the suites stay well under a minute. The long profile
// (`npm run test:long`, or by hand) sets PADDOCK_FUZZ_RUNS higher and usually a fresh seed. On a failure fast-check
// prints the seed and the shrunk counterexample's path: rerun with PADDOCK_FUZZ_SEED=<seed> to get it again.
const FuzzEnvSchema = z.object({
  /** Generated cases per property (each route, each chain-file mutation kind, ...). */
  PADDOCK_FUZZ_RUNS: z.coerce.number().int().min(1).max(1_000_000).optional(),
  /** A fixed seed (integer), or `random` for a fresh one per run (printed on failure). */
  PADDOCK_FUZZ_SEED: z.union([z.literal('random'), z.coerce.number().int()]).optional(),
});

export interface FuzzSettings {
  /** Cases per property: the suite's own default unless PADDOCK_FUZZ_RUNS says otherwise. */
  runs(shortProfileRuns: number): number;
  seed: number;
}

/** The short profile's seed: any fixed number; changing it only changes which cases the short profile tries. */
const SHORT_PROFILE_SEED = 20_261_204;

export function readFuzzSettings(): FuzzSettings {
  const parsed = FuzzEnvSchema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
  }
  const { PADDOCK_FUZZ_RUNS: runs, PADDOCK_FUZZ_SEED: seed } = parsed.data;
  return {
    runs: (shortProfileRuns) => runs ?? shortProfileRuns,
    seed: seed === 'random' ? Math.floor(Math.random() * 2 ** 31) : (seed ?? SHORT_PROFILE_SEED),
  };
}
