import type { JobHandlers } from '@paddock/jobs';
import { runProbe } from '@paddock/services';

/** Every catalog job mapped to one service call; the type makes a missing handler a compile error. */
export function createHandlers(): JobHandlers {
  return {
    'diagnostics.probe': (payload, context) => runProbe(payload, context),
  };
}
