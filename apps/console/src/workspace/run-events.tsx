import type { RunEvent } from './types';

const SHOW = 100;

/** The newest events of the run as the box wrote them, oldest first (the stream appends below). */
export function RunEvents({ events }: { events: RunEvent[] }) {
  const shown = events.slice(-SHOW);
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      {events.length === 0 ? (
        <p className="muted">No events yet.</p>
      ) : (
        <ol className="events" data-testid="run-events">
          {shown.map((event) => (
            <li key={event.seq}>
              <span className="muted">
                #{event.seq} {new Date(event.occurredAt).toLocaleTimeString()}
              </span>{' '}
              <strong>{event.kind}</strong> {event.step}
            </li>
          ))}
        </ol>
      )}
      {events.length > SHOW && (
        <p className="muted">
          The last {SHOW} of {events.length} events.
        </p>
      )}
    </section>
  );
}
