import './workspace.css';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/http';
import type { Decision } from '../api/types';
import { ErrorNote } from '../ui/layout';
import { useDecisionStream } from './use-decision-stream';
import { useSwipe } from './use-swipe';

type Choice = 'approve' | 'reject' | 'request_changes';

const KEYS: Record<string, Choice> = { a: 'approve', r: 'reject', c: 'request_changes' };
const OUTPUT_BYTES = 16_384;

/**
 * The decision inbox: one card at a time, the output to judge on it, answered by click or keyboard (A approve,
 * R reject, C request changes, N writes a note, Escape leaves the note) or swipe (right approves, left rejects).
 * New decisions join the queue live.
 */
export default function InboxPage() {
  const { pending, connected } = useDecisionStream(OUTPUT_BYTES);
  // Answered here but not yet closed by the stream: hidden at once so the next card shows without waiting.
  const [answered, setAnswered] = useState<Set<string>>(new Set());
  const [decidedCount, setDecidedCount] = useState(0);
  const queue = pending.filter((d) => !answered.has(d.id));
  const card = queue[0];
  const decide = useMutation({
    mutationFn: ({ decision, choice, note }: { decision: Decision; choice: Choice; note: string }) =>
      api<Decision>(`/v1/decisions/${encodeURIComponent(decision.id)}`, {
        method: 'POST',
        body: note ? { choice, note } : { choice },
      }),
    onSuccess: (_reply, { decision }) => {
      setAnswered((current) => new Set(current).add(decision.id));
      setDecidedCount((n) => n + 1);
    },
  });
  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">Decisions</h1>
      <p role="status" className="muted" data-testid="inbox-summary">
        {queue.length} waiting · {decidedCount} decided this session {connected ? '' : '· reconnecting…'}
      </p>
      <ErrorNote error={decide.error} />
      {card ? (
        <DecisionCard
          key={card.id}
          decision={card}
          busy={decide.isPending}
          onDecide={(choice, note) => decide.mutate({ decision: card, choice, note })}
        />
      ) : (
        <p className="empty">Nothing waits for you. New decisions appear here as your agents ask.</p>
      )}
    </section>
  );
}

function DecisionCard(props: { decision: Decision; busy: boolean; onDecide: (choice: Choice, note: string) => void }) {
  const { decision } = props;
  const [note, setNote] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  const noteField = useRef<HTMLTextAreaElement>(null);
  // Each new card takes the focus, so a keyboard user (and a screen reader) lands on it.
  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
      const target = event.target as HTMLElement | null;
      if (target?.tagName === 'TEXTAREA' || target?.tagName === 'INPUT') {
        if (event.key === 'Escape') heading.current?.focus();
        return;
      }
      if (event.key === 'n') {
        event.preventDefault();
        noteField.current?.focus();
        return;
      }
      const choice = KEYS[event.key.toLowerCase()];
      if (choice && !props.busy) {
        event.preventDefault();
        props.onDecide(choice, note.trim());
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [note, props]);
  const noteId = `note-${decision.id}`;
  const swipe = useSwipe({
    disabled: props.busy,
    onRight: () => props.onDecide('approve', note.trim()),
    onLeft: () => props.onDecide('reject', note.trim()),
  });
  return (
    <article
      {...swipe}
      className="card decision"
      aria-labelledby={`title-${decision.id}`}
      aria-describedby={`swipe-${decision.id}`}
      data-testid="decision-card"
      data-decision-id={decision.id}
    >
      <h2 id={`title-${decision.id}`} ref={heading} tabIndex={-1}>
        {decision.prompt ?? `Step ${decision.step} asks for a decision`}
      </h2>
      <p className="muted">
        Run {decision.runId.slice(0, 8)} · step {decision.step} · asked {new Date(decision.createdAt).toLocaleString()}
        {decision.deadline ? ` · answer by ${decision.deadline}` : ''}
      </p>
      {decision.output ? (
        <figure>
          <figcaption>
            Output of {decision.output.step}
            {decision.output.truncated ? ` (first ${OUTPUT_BYTES} of ${decision.output.bytes} bytes)` : ''}
          </figcaption>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling output must be reachable to scroll it by keyboard */}
          <pre tabIndex={0}>{decision.output.text}</pre>
        </figure>
      ) : (
        <p className="muted">
          {decision.outputError ? `The output could not be read (${decision.outputError}).` : 'No output to show.'}
        </p>
      )}
      <p id={`swipe-${decision.id}`} className="muted">
        Swipe the card right to approve or left to reject.
      </p>
      <label htmlFor={noteId}>Note (optional; N to write, Escape to leave)</label>
      <textarea
        id={noteId}
        ref={noteField}
        value={note}
        maxLength={4000}
        onChange={(e) => setNote(e.target.value)}
        rows={3}
      />
      <div className="actions">
        <button
          type="button"
          disabled={props.busy}
          onClick={() => props.onDecide('approve', note.trim())}
          aria-keyshortcuts="A"
        >
          Approve <kbd>A</kbd>
        </button>
        <button
          type="button"
          disabled={props.busy}
          onClick={() => props.onDecide('request_changes', note.trim())}
          aria-keyshortcuts="C"
        >
          Request changes <kbd>C</kbd>
        </button>
        <button
          type="button"
          className="danger"
          disabled={props.busy}
          onClick={() => props.onDecide('reject', note.trim())}
          aria-keyshortcuts="R"
        >
          Reject <kbd>R</kbd>
        </button>
      </div>
    </article>
  );
}
