import { ProtocolHelloSchema } from '@paddock/contracts';

/** The runtime's first line on a serve channel: its version and root, or why it is not a hello we can speak to. */
export function parseHello(line: string): { version: string; root: string } | 'not_hello' | 'wrong_version' {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return 'not_hello';
  }
  if ((json as { type?: unknown } | null)?.type !== 'hello') return 'not_hello';
  const parsed = ProtocolHelloSchema.safeParse(json);
  if (!parsed.success) return 'wrong_version';
  return { version: parsed.data.version, root: parsed.data.root };
}
