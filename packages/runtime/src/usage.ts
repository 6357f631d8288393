import { readFile as readFileCb } from 'node:fs';
import { promisify } from 'node:util';
import { type UsageReport, UsageReportSchema } from '@paddock/contracts';

const MARKER = Buffer.from('::usage ');
const MAX_LINE = 8 * 1024;

export interface UsageTotal {
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  reported: boolean;
}

/**
 * Finds `::usage {json}` lines in terminal output as it streams, without buffering it: only the bytes after the last
 * newline (capped) are carried between chunks, so a 100 MB output costs no memory here.
 */
export class UsageScanner {
  private carry: Buffer = Buffer.alloc(0);
  private sum: UsageTotal = { model: null, input_tokens: 0, output_tokens: 0, cost_usd: null, reported: false };

  scan(chunk: Buffer): void {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let from = 0;
    for (;;) {
      const at = data.indexOf(MARKER, from);
      if (at < 0) break;
      const end = data.indexOf(0x0a, at);
      if (end < 0) {
        this.carry = data.subarray(at).length <= MAX_LINE ? Buffer.from(data.subarray(at)) : Buffer.alloc(0);
        return;
      }
      this.add(data.toString('utf8', at + MARKER.length, end).trim());
      from = end + 1;
    }
    // Keep a tail that may hold the start of a marker split across chunks.
    this.carry = Buffer.from(data.subarray(Math.max(from, data.length - MARKER.length)));
  }

  private add(json: string): void {
    try {
      const report = UsageReportSchema.parse(JSON.parse(json));
      addReport(this.sum, report);
    } catch {
      // A malformed usage line is output like any other; it just reports nothing.
    }
  }

  total(): UsageTotal {
    return { ...this.sum };
  }
}

export function addReport(sum: UsageTotal, report: UsageReport): void {
  sum.reported = true;
  sum.model = report.model ?? sum.model;
  sum.input_tokens += report.input_tokens;
  sum.output_tokens += report.output_tokens;
  if (report.cost_usd !== undefined) sum.cost_usd = (sum.cost_usd ?? 0) + report.cost_usd;
}

/** $CHAIN_USAGE_FILE wins over terminal lines when present and valid. */
/** The callback API (no FileHandle): this runs after every step, and the file is usually absent. */
const readFile = promisify(readFileCb);

export async function readUsageFile(path: string): Promise<UsageReport | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = UsageReportSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
