/**
 * Money as the API sends it, written for people: minor units (cents) as integers, micros (10^-6 of the currency) as
 * decimal strings. Only display: every sum and rounding is the server's (packages/billing), never redone here.
 */
const formats = new Map<string, Intl.NumberFormat>();

function formatter(currency: string, digits?: number): Intl.NumberFormat {
  const key = `${currency}:${digits ?? ''}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency,
      ...(digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits }),
    });
    formats.set(key, format);
  }
  return format;
}

/** 1234 USD -> "$12.34" (the currency's own number of decimals). */
export function formatMinor(minor: number, currency: string): string {
  const digits = formatter(currency).resolvedOptions().maximumFractionDigits ?? 2;
  return formatter(currency).format(minor / 10 ** digits);
}

/** "1500000" USD -> "$1.50"; amounts under a cent keep their micro digits ("$0.000004") so they do not read as 0. */
export function formatMicros(micros: string, currency: string): string {
  const value = Number(micros) / 1_000_000;
  const small = value !== 0 && Math.abs(value) < 0.01;
  return formatter(currency, small ? 6 : undefined).format(value);
}

/** Micros as a plain number of the currency's major unit, for charts' axes. */
export function microsToMajor(micros: string): number {
  return Number(micros) / 1_000_000;
}
