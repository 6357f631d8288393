import '@xterm/xterm/css/xterm.css';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'react';
import type { TerminalEnd, TerminalOutput, TerminalStart } from './types';

type Phase = 'connecting' | 'live' | 'ended' | 'reconnecting';

function decode(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * A step's terminal, read-only, rendered by xterm.js from the API's terminal stream: the log replayed from its start
 * (or its tail, when long), then followed live while the attempt runs, byte for byte with its escape sequences.
 * Every `output` names its offset in the log: after a reconnect the stream replays from the start, and the bytes
 * already written are skipped, so nothing shows twice. The stream's `end` closes it (EventSource would reconnect).
 */
export function StepTerminal(props: { runId: string; step: string; attempt: number }) {
  const host = useRef<HTMLElement>(null);
  const [phase, setPhase] = useState<Phase>('connecting');
  const [note, setNote] = useState('');
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const terminal = new Terminal({
      disableStdin: true,
      convertEol: false,
      rows: 18,
      cols: 100,
      scrollback: 5000,
      fontSize: 13,
      screenReaderMode: true,
    });
    terminal.open(element);
    // The next log offset not yet written to the screen.
    let written = -1;
    const url = `/v1/runs/${encodeURIComponent(props.runId)}/steps/${encodeURIComponent(props.step)}/terminal?attempt=${props.attempt}`;
    const source = new EventSource(url);
    setPhase('connecting');
    setNote('');
    source.addEventListener('start', (message) => {
      const start = JSON.parse((message as MessageEvent<string>).data) as TerminalStart;
      if (written < 0) {
        written = start.offset;
        if (start.skippedBytes > 0) setNote(`The first ${start.skippedBytes} bytes of this long log are not shown.`);
      }
      setPhase('live');
    });
    source.addEventListener('output', (message) => {
      const output = JSON.parse((message as MessageEvent<string>).data) as TerminalOutput;
      const bytes = decode(output.data);
      const end = output.offset + bytes.length;
      if (end <= written) return;
      terminal.write(output.offset >= written ? bytes : bytes.subarray(written - output.offset));
      written = end;
    });
    source.addEventListener('end', (message) => {
      const end = JSON.parse((message as MessageEvent<string>).data) as TerminalEnd;
      source.close();
      setPhase('ended');
      if (end.reason !== 'ended') setNote(end.message ?? `The terminal stream stopped (${end.reason}).`);
    });
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED) setPhase('reconnecting');
    });
    return () => {
      source.close();
      terminal.dispose();
    };
  }, [props.runId, props.step, props.attempt]);
  const label = `Terminal of ${props.step}, attempt ${props.attempt}`;
  return (
    <figure className="terminal">
      <figcaption>
        {label}{' '}
        <span role="status" className="muted" data-testid="terminal-phase">
          {phase === 'live'
            ? 'live'
            : phase === 'ended'
              ? 'ended'
              : phase === 'reconnecting'
                ? 'reconnecting…'
                : 'connecting…'}
        </span>
      </figcaption>
      {note && <p className="muted">{note}</p>}
      <section ref={host} className="terminal-screen" data-testid="terminal" aria-label={label} />
    </figure>
  );
}
