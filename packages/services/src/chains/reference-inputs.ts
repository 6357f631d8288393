import { AppError, type ChainDefinition, isDecisionStep, type ReferenceInput } from '@paddock/contracts';

/**
 * Checks reference inputs against the chain they stage: every check names an agent step of it, every run input the
 * chain reads is given, and decision answers name decision steps with one of their options. Problems are reported
 * together, each with its place in the request body.
 */
export function validateReferenceInputs(chain: ChainDefinition, references: readonly ReferenceInput[]): void {
  const problems: Array<{ path: string; message: string }> = [];
  const required = requiredRunInputs(chain);
  references.forEach((reference, i) => {
    const at = `body.referenceInputs.${i}`;
    for (const key of required) {
      if (!(key in reference.inputs)) {
        problems.push({ path: `${at}.inputs.${key}`, message: `is read by the chain (run_input ${key}); give it` });
      }
    }
    reference.checks.forEach((check, j) => {
      const step = chain.agents[check.step];
      if (!step) problems.push({ path: `${at}.checks.${j}.step`, message: `names no step of chain ${chain.name}` });
      else if (isDecisionStep(step)) {
        problems.push({ path: `${at}.checks.${j}.step`, message: 'is a decision step, which has no output to check' });
      }
    });
    for (const [name, option] of Object.entries(reference.decisions)) {
      const step = chain.agents[name];
      if (!step || !isDecisionStep(step)) {
        problems.push({ path: `${at}.decisions.${name}`, message: 'names no decision step of the chain' });
      } else if (!step.decision.options.includes(option)) {
        problems.push({
          path: `${at}.decisions.${name}`,
          message: `is not one of the step's options (${step.decision.options.join(', ')})`,
        });
      }
    }
  });
  if (problems.length > 0) {
    throw new AppError('validation_failed', problems.map((p) => `${p.path}: ${p.message}`).join('\n'), {
      details: problems,
    });
  }
}

function requiredRunInputs(chain: ChainDefinition): string[] {
  const keys = new Set<string>();
  for (const step of Object.values(chain.agents)) {
    if (isDecisionStep(step) || step.input === undefined) continue;
    for (const input of Array.isArray(step.input) ? step.input : [step.input]) {
      if (typeof input === 'object' && 'run_input' in input) keys.add(input.run_input);
    }
  }
  return [...keys].sort();
}
