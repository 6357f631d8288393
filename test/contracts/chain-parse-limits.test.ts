import { describe, expect, it } from 'vitest';
import { aliasBombDefinition } from '../support/hostile-chains';
import { parseChainDefinition } from '@paddock/contracts';
import { MAX_CHAIN_STEPS } from '@paddock/contracts';

// Hostile definitions: each must come back as located errors (never a throw, never an unbounded expansion).
describe('parseChainDefinition on hostile input', () => {
  it('reports every one of 20,000 unknown keys, located, without yaml duplicate checks on each key', () => {
    const extra = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]));
    const text = JSON.stringify({ name: 'x', agents: { a: { run: 'echo' } }, ...extra });
    const result = parseChainDefinition(text, 'chain.json');
    if (result.ok) throw new Error('expected errors');
    expect(result.errors).toHaveLength(20_000);
    expect(result.errors[19_999]).toMatchObject({ field: 'k19999', message: 'is not a known field', line: 1 });
    expect(result.errors[19_999]?.column).toBe(text.indexOf('"k19999"') + 1);
  });

  it('still names a key defined twice deep in the document', () => {
    const result = parseChainDefinition('name: x\nagents:\n  a:\n    run: one\n    env: {A: 1, A: 2}\n', 'c.yaml');
    if (result.ok) throw new Error('expected errors');
    expect(result.errors).toEqual([
      expect.objectContaining({
        field: 'agents.a.env.A',
        line: 5,
        column: 17,
        message: expect.stringMatching(/twice/),
      }),
    ]);
  });

  it('refuses an alias bomb (each level ten aliases of the one before) with an error instead of expanding it', () => {
    const result = parseChainDefinition(aliasBombDefinition(), 'chain.yaml');
    expect(result).toEqual({
      ok: false,
      errors: [expect.objectContaining({ message: expect.stringMatching(/alias/) })],
    });
  });

  it(`refuses more than ${MAX_CHAIN_STEPS} steps (checking references grows with their square)`, () => {
    const agents = Object.fromEntries(
      Array.from({ length: MAX_CHAIN_STEPS + 1 }, (_, i) => [
        `s${i}`,
        i ? { run: 'x', needs: [`s${i - 1}`] } : { run: 'x' },
      ]),
    );
    const result = parseChainDefinition(JSON.stringify({ name: 'x', agents }), 'chain.json');
    if (result.ok) throw new Error('expected errors');
    expect(result.errors).toEqual([
      expect.objectContaining({ field: 'agents', message: `must define at most ${MAX_CHAIN_STEPS} steps` }),
    ]);
    const fits = Object.fromEntries(Object.entries(agents).slice(0, MAX_CHAIN_STEPS));
    expect(parseChainDefinition(JSON.stringify({ name: 'x', agents: fits }), 'chain.json').ok).toBe(true);
  });
});
