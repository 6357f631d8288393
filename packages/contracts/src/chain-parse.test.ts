import { describe, expect, it } from 'vitest';
import { parseDurationMs } from './chain-duration';
import { downstreamOf, topologicalOrder } from './chain-graph';
import { type ChainError, formatChainError, parseChainDefinition } from './chain-parse';
import { isDecisionStep } from './chain-schema';

function errorsOf(text: string): ChainError[] {
  const result = parseChainDefinition(text, 'chain.yaml');
  if (result.ok) throw new Error('expected errors, chain was accepted');
  return result.errors;
}

const DIAMOND = `name: diamond
agents:
  plan:
    run: echo plan
  left:
    run: echo left
    needs: [plan]
    input: plan
  right:
    run: echo right
    needs: [plan]
    retries: 2
    backoff: { delay: 100ms, factor: 3 }
    timeout: 5m
    idle_timeout: 30s
  review:
    needs: [left, right]
    decision:
      prompt: Ship it?
      timeout: 1h
      on_timeout: reject
      show: left
  publish:
    run: echo publish
    needs: [review]
    when: { decision: review, option: approve }
`;

describe('parseChainDefinition', () => {
  it('accepts a valid diamond chain with defaults filled in', () => {
    const result = parseChainDefinition(DIAMOND, 'diamond.yaml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const review = result.chain.agents.review;
    expect(review && isDecisionStep(review) ? review.decision.options : []).toEqual([
      'approve',
      'reject',
      'request_changes',
    ]);
    expect(result.chain.agents.plan?.needs).toEqual([]);
    expect(topologicalOrder(result.chain)).toEqual(['plan', 'left', 'right', 'review', 'publish']);
    expect([...downstreamOf(result.chain, ['right'])].sort()).toEqual(['publish', 'review', 'right']);
  });

  it('reads JSON with the same schema', () => {
    const json = JSON.stringify({ name: 'j', agents: { a: { run: 'echo a' }, b: { run: 'echo b', needs: ['a'] } } });
    const result = parseChainDefinition(json, 'chain.json');
    expect(result.ok && Object.keys(result.chain.agents)).toEqual(['a', 'b']);
  });

  it('locates an unknown key at its line and column', () => {
    const errors = errorsOf('name: x\nagents:\n  a:\n    run: echo\n    retrys: 3\n');
    expect(errors).toEqual([
      { file: 'chain.yaml', line: 5, column: 5, field: 'agents.a.retrys', message: 'is not a known field' },
    ]);
    expect(formatChainError(errors[0] as ChainError)).toBe('chain.yaml:5:5: agents.a.retrys: is not a known field');
  });

  it('reports a missing run at the step', () => {
    const [error] = errorsOf('name: x\nagents:\n  a:\n    needs: []\n');
    expect(error?.field).toBe('agents.a.run');
    expect(error?.line).toBe(4);
    expect(error?.message).toMatch(/required/);
  });

  it('reports unknown needs at the offending list item', () => {
    const [error] = errorsOf('name: x\nagents:\n  a:\n    run: echo\n    needs: [a2, b]\n  b:\n    run: echo\n');
    expect(error).toMatchObject({ line: 5, column: 13, field: 'agents.a.needs[0]', message: 'unknown step "a2"' });
  });

  it('names the cycle', () => {
    const text =
      'name: x\nagents:\n  a:\n    run: echo\n    needs: [c]\n  b:\n    run: echo\n    needs: [a]\n  c:\n    run: echo\n    needs: [b]\n';
    const [error] = errorsOf(text);
    expect(error?.message).toBe('cycle: a -> c -> b -> a');
    expect(error?.field).toBe('agents.a.needs');
  });

  it('rejects duplicate step names with the position of the second', () => {
    const [error] = errorsOf('name: x\nagents:\n  a:\n    run: one\n  a:\n    run: two\n');
    expect(error).toMatchObject({
      line: 5,
      column: 3,
      field: 'agents.a',
      message: 'is defined twice (names must be unique)',
    });
  });

  it('rejects step names that are not safe file names', () => {
    for (const bad of ['../etc', 'a.b', 'a b', '$(rm -rf x)', '-x', 'a/b']) {
      const errors = errorsOf(`name: x\nagents:\n  ${JSON.stringify(bad)}:\n    run: echo\n`);
      expect(errors[0]?.field).toBe(`agents.${bad}`);
      expect(errors[0]?.message).toMatch(/step name must be 1-64 characters/);
      expect(errors[0]?.line).toBe(3);
    }
  });

  it('rejects bad durations and bare numbers', () => {
    const errors = errorsOf('name: x\nagents:\n  a:\n    run: echo\n    timeout: 10 minutes\n    idle_timeout: 30\n');
    expect(errors.map((e) => e.field)).toEqual(['agents.a.timeout', 'agents.a.idle_timeout']);
    expect(errors[0]?.message).toMatch(/duration/);
    expect(errors[1]?.message).toMatch(/duration/);
  });

  it('accepts stdin: terminal and watchdog limits of "none", and refuses other stdin values naming the field', () => {
    const ok = parseChainDefinition(
      'name: x\ndefaults: { idle_timeout: none, timeout: 2h }\nagents:\n  a: { run: bash, stdin: terminal, timeout: none }\n',
      'x.yaml',
    );
    expect(ok.ok).toBe(true);
    const errors = errorsOf('name: x\nagents:\n  a:\n    run: echo\n    stdin: keyboard\n');
    expect(errors).toMatchObject([
      {
        field: 'agents.a.stdin',
        line: 5,
        message: expect.stringMatching(/^must be "terminal" \(the live terminal as stdin\)/),
      },
    ]);
    const both = errorsOf(
      'name: x\nagents:\n  a: { run: echo }\n  b: { needs: [a], input: a, stdin: terminal, run: cat }\n',
    );
    expect(both).toMatchObject([
      { field: 'agents.b.stdin', message: 'cannot be "terminal" when the step has an `input`' },
    ]);
    const defaults = errorsOf(
      'name: x\ndefaults: { idle_timeout: forever, retries: 2 }\nagents:\n  a: { run: echo }\n',
    );
    expect(defaults.map((e) => e.field).sort()).toEqual(['defaults.idle_timeout', 'defaults.retries']);
  });

  it('checks when, show, input and on_timeout references', () => {
    const text = `name: x
agents:
  a:
    run: echo
  d:
    needs: [a]
    decision: { prompt: ok?, on_timeout: maybe, show: z }
  b:
    run: echo
    input: { from: a }
    when: { decision: d, option: approve }
`;
    const messages = errorsOf(text).map((e) => `${e.field}: ${e.message}`);
    expect(messages).toEqual([
      'agents.d.decision.on_timeout: "maybe" is not one of the options',
      'agents.d.decision.show: "z" must be an upstream step',
      'agents.b.input: "a" must be upstream of this step (in needs)',
      'agents.b.when.decision: "d" must be upstream of this step (list it in needs)',
    ]);
  });

  it('rejects prompt paths that escape the chain directory', () => {
    const [error] = errorsOf('name: x\nagents:\n  a:\n    run: echo\n    prompt: ../../etc/passwd\n');
    expect(error).toMatchObject({ field: 'agents.a.prompt', line: 5, column: 13 });
  });

  it('reports YAML syntax errors with a position', () => {
    const [error] = errorsOf('name: x\nagents:\n  a:\n    run: [unclosed\n');
    expect(error?.line).toBeGreaterThanOrEqual(4);
    expect(error?.file).toBe('chain.yaml');
  });
});

describe('parseDurationMs', () => {
  it('parses units and combinations', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('30')).toBeUndefined();
    expect(parseDurationMs('5 m')).toBeUndefined();
  });
});
