import type { ChainDefinition } from './chain-schema';

/** Step graph helpers shared by validation (API and chainctl) and the runtime scheduler. */

/** Returns one cycle as a list of step names (first name repeated at the end), or undefined when acyclic. */
export function findCycle(needsByStep: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (step: string): string[] | undefined => {
    const seen = state.get(step);
    if (seen === 'done') return undefined;
    if (seen === 'visiting') return [...stack.slice(stack.indexOf(step)), step];
    state.set(step, 'visiting');
    stack.push(step);
    for (const need of needsByStep.get(step) ?? []) {
      if (!needsByStep.has(need)) continue;
      const cycle = visit(need);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(step, 'done');
    return undefined;
  };
  for (const step of [...needsByStep.keys()].sort()) {
    const cycle = visit(step);
    if (cycle) return cycle;
  }
  return undefined;
}

export function needsMap(chain: ChainDefinition): Map<string, string[]> {
  return new Map(Object.entries(chain.agents).map(([name, step]) => [name, step.needs]));
}

/** Every step that transitively needs one of `roots`, including the roots themselves. */
export function downstreamOf(chain: ChainDefinition, roots: readonly string[]): Set<string> {
  const result = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [name, step] of Object.entries(chain.agents)) {
      if (!result.has(name) && step.needs.some((need) => result.has(need))) {
        result.add(name);
        grew = true;
      }
    }
  }
  return result;
}

/** Every step that `step` transitively needs (excluding itself). */
export function upstreamOf(chain: ChainDefinition, step: string): Set<string> {
  const result = new Set<string>();
  const pending = [...(chain.agents[step]?.needs ?? [])];
  while (pending.length > 0) {
    const next = pending.pop() as string;
    if (result.has(next)) continue;
    result.add(next);
    pending.push(...(chain.agents[next]?.needs ?? []));
  }
  return result;
}

/** Steps in an order where every step comes after the steps it needs (ties broken by name, so it is stable). */
export function topologicalOrder(chain: ChainDefinition): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const names = Object.keys(chain.agents).sort();
  while (order.length < names.length) {
    const ready = names.filter((n) => !placed.has(n) && (chain.agents[n]?.needs ?? []).every((d) => placed.has(d)));
    if (ready.length === 0) throw new Error('chain graph has a cycle');
    for (const name of ready) {
      placed.add(name);
      order.push(name);
    }
  }
  return order;
}
