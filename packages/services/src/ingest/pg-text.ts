/**
 * PostgreSQL's text and jsonb refuse the NUL character (jsonb also its `\u0000` escape); anything a box or an agent
 * wrote can hold one. Replaced by U+FFFD so the value is stored instead of failing the whole batch.
 */
export function pgText(text: string): string;
export function pgText(text: string | null): string | null;
export function pgText(text: string | null): string | null {
  if (text === null || !text.includes('\u0000')) return text;
  return text.replaceAll('\u0000', '\ufffd');
}

/** JSON text for a jsonb parameter, with NUL characters replaced (see pgText). */
export function pgJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\u0000') ? json.replaceAll('\\u0000', '\\ufffd') : json;
}

/** `text` cut to `max` characters (the column's width) after NUL replacement. */
export function pgCut(text: string, max: number): string;
export function pgCut(text: string | null, max: number): string | null;
export function pgCut(text: string | null, max: number): string | null {
  const clean = pgText(text);
  return clean === null || clean.length <= max ? clean : clean.slice(0, max);
}
