/**
 * What other processes (`chainctl`, `serve`) ask the running daemon to do to a run. It travels over the daemon's unix
 * socket as one JSON line `{ "op": "act", "action": ... }` (daemon-client.ts writes it, attach-server.ts reads it, the
 * daemon applies it): the protocol belongs to neither end, so it lives here and both import it.
 */
export type RunAction =
  | { op: 'decide'; run: string; step: string; option: string; by: string; note: string | null }
  | { op: 'replay'; run: string; from: string }
  | { op: 'resume'; run: string }
  | { op: 'cancel'; run: string };

/** The request line that carries a run action. */
export interface ActRequest {
  op: 'act';
  action: RunAction;
}
