import { Agent, request } from 'node:http';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** True when the reply was an event stream, closed by us after its headers (a stream never ends by itself). */
  stream: boolean;
}

export interface RawRequest {
  method: string;
  /** Path and query exactly as sent on the request line (already percent-encoded). */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * One HTTP request over a real socket to a loopback server, path and body sent as given (no URL normalisation, so
 * `..` and odd escapes reach the server as a client could send them). An event stream is cut after its headers, so
 * the server sees the client leave, as it would in production. Fails when no answer comes within `timeoutMs`.
 */
export function sendRaw(agent: Agent, port: number, input: RawRequest, timeoutMs = 15_000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request({
      agent,
      host: '127.0.0.1',
      port,
      method: input.method,
      path: input.path,
      headers:
        input.body === undefined
          ? input.headers
          : { ...input.headers, 'content-length': Buffer.byteLength(input.body) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms: ${input.method} ${input.path}`));
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        clearTimeout(timer);
        res.destroy();
        req.destroy();
        resolve({ status, headers: res.headers, body: '', stream: true });
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), stream: false });
      });
    });
    req.end(input.body);
  });
}

export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 4 });
}
