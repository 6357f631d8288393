import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { RunEvent } from './types';

const KEEP = 500;

/**
 * A run's events, live: the API's event stream (`follow=true`) sends every stored event, then each new one as the
 * collector stores it, and `end` once the run is over. Each event also refreshes the run's detail (step statuses,
 * attempts), so the graph moves with the stream, not with a timer. EventSource reconnects by itself and the stream
 * starts again from the first event, so events are kept by seq (a repeat replaces, never duplicates). A stream that
 * ended is not reopened while `follow` is false (the run is over) and `epoch` is unchanged; a replay reopens it (the
 * run is live again, and its attempts grow: a quick replay may be over before the page ever sees the run running).
 */
export function useRunEvents(
  runId: string,
  follow: boolean,
  epoch: number,
): { events: RunEvent[]; connected: boolean } {
  const client = useQueryClient();
  const [bySeq, setBySeq] = useState<Map<number, RunEvent>>(new Map());
  const [connected, setConnected] = useState(false);
  const ended = useRef<number | null>(null);
  useEffect(() => {
    if (!follow && ended.current === epoch) return;
    ended.current = null;
    const source = new EventSource(`/v1/runs/${encodeURIComponent(runId)}/events?follow=true`);
    let refresh: ReturnType<typeof setTimeout> | undefined;
    // Many events arrive together (a whole batch of the collector): one refresh of the detail for the batch.
    const refreshSoon = () => {
      if (refresh) return;
      refresh = setTimeout(() => {
        refresh = undefined;
        void client.invalidateQueries({ queryKey: ['run', runId] });
      }, 150);
    };
    source.addEventListener('open', () => setConnected(true));
    source.addEventListener('error', () => setConnected(false));
    source.addEventListener('run_event', (message) => {
      const event = JSON.parse((message as MessageEvent<string>).data) as RunEvent;
      setBySeq((current) => {
        const next = new Map(current).set(event.seq, event);
        if (next.size > KEEP) next.delete(Math.min(...next.keys()));
        return next;
      });
      refreshSoon();
    });
    // The run is over and every event was sent: closing stops EventSource from reconnecting and replaying them.
    source.addEventListener('end', () => {
      ended.current = epoch;
      source.close();
      setConnected(false);
      void client.invalidateQueries({ queryKey: ['run', runId] });
    });
    return () => {
      if (refresh) clearTimeout(refresh);
      source.close();
    };
  }, [runId, follow, epoch, client]);
  const events = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  return { events, connected };
}
