import { ApiError } from '../api/http';

/** A text reply (a step's output), with the reply's headers; API errors become ApiError like JSON calls do. */
export async function fetchText(path: string): Promise<{ text: string; headers: Headers }> {
  const response = await fetch(path, {
    credentials: 'same-origin',
    headers: { accept: 'text/plain, application/json' },
  });
  const text = await response.text();
  if (!response.ok) {
    let error: { code?: string; message?: string } | undefined;
    try {
      error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    } catch {
      error = undefined;
    }
    throw new ApiError(response.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${response.status}`);
  }
  return { text, headers: response.headers };
}
