import { StatusBadge } from './run-status';
import type { RunStep } from './types';

/**
 * The chain's steps in chain order as a pipeline of nodes: each shows its status and how many attempts it took, and
 * selects the step below. A list of buttons (arrow keys are not needed: Tab walks it), each naming its state.
 */
export function StepGraph(props: { steps: RunStep[]; selected: string | null; onSelect: (step: string) => void }) {
  return (
    <ol className="step-graph" aria-label="Steps">
      {props.steps.map((step) => (
        <li key={step.name} className={`step-node step-${step.status}`} data-testid={`step-${step.name}`}>
          <button type="button" aria-pressed={props.selected === step.name} onClick={() => props.onSelect(step.name)}>
            <strong>{step.name}</strong>
            <StatusBadge status={step.status} />
            <span className="muted" data-testid="step-attempts">
              {step.attempts.length} {step.attempts.length === 1 ? 'attempt' : 'attempts'}
            </span>
          </button>
        </li>
      ))}
    </ol>
  );
}
