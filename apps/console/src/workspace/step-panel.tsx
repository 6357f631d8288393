import { useState } from 'react';
import { formatCost, formatDuration, StatusBadge } from './run-status';
import { StepOutput } from './step-output';
import { StepTerminal } from './step-terminal';
import type { RunStep } from './types';

const FINISHED = new Set(['succeeded', 'failed', 'skipped', 'canceled']);

/** One step: its attempts (each selectable), and the chosen attempt's terminal and output. */
export function StepPanel(props: { runId: string; step: RunStep }) {
  const { step } = props;
  const current = step.attempts.find((a) => a.current)?.attempt ?? step.attempts.at(-1)?.attempt ?? 1;
  // null follows the current attempt (a replay moves it on); a click pins an earlier one.
  const [pinned, setPinned] = useState<number | null>(null);
  const attemptNumber = pinned ?? current;
  const attempt = step.attempts.find((a) => a.attempt === attemptNumber);
  const started = attempt && attempt.status !== 'pending';
  return (
    <section className="card step-panel" aria-labelledby="step-panel-title">
      <h2 id="step-panel-title">Step {step.name}</h2>
      <table data-testid="attempts">
        <caption>Attempts</caption>
        <thead>
          <tr>
            <th scope="col">Attempt</th>
            <th scope="col">Status</th>
            <th scope="col">Model</th>
            <th scope="col">Duration</th>
            <th scope="col">Tokens in / out</th>
            <th scope="col">Cost</th>
            <th scope="col">Exit</th>
          </tr>
        </thead>
        <tbody>
          {step.attempts.map((a) => (
            <tr key={a.attempt} aria-current={a.attempt === attemptNumber ? 'true' : undefined}>
              <td>
                <button
                  type="button"
                  aria-pressed={a.attempt === attemptNumber}
                  onClick={() => setPinned(a.current ? null : a.attempt)}
                >
                  Attempt {a.attempt}
                  {a.current ? ' (current)' : ''}
                </button>
              </td>
              <td>
                <StatusBadge status={a.status} />
                {a.error && <div className="muted">{a.error}</div>}
              </td>
              <td>{a.model ?? '—'}</td>
              <td>{formatDuration(a.durationMs)}</td>
              <td>
                {a.tokensIn} / {a.tokensOut}
              </td>
              <td>{formatCost(a.costMinor)}</td>
              <td>{a.exitCode ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {started ? (
        <>
          <StepTerminal
            key={`${step.name}:${attemptNumber}`}
            runId={props.runId}
            step={step.name}
            attempt={attemptNumber}
          />
          {FINISHED.has(attempt.status) ? (
            <StepOutput runId={props.runId} step={step.name} attempt={attemptNumber} />
          ) : (
            // The box writes an attempt's output when it ends; until then the terminal shows what it prints.
            <p className="muted">The output is kept when this attempt ends; the terminal above shows it live.</p>
          )}
        </>
      ) : (
        <p className="muted">This attempt has not started yet.</p>
      )}
    </section>
  );
}
