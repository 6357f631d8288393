/** Micros (10^-6 of a currency, as the API's decimal strings) shown as an amount: "12500000" USD -> "USD 12.50". */
export function microsText(micros: string, currency: string): string {
  const value = BigInt(micros);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / 1_000_000n;
  // Keep up to 6 decimals, at least 2, without trailing zeros beyond those.
  const fraction = (abs % 1_000_000n)
    .toString()
    .padStart(6, '0')
    .replace(/0{1,4}$/, '');
  return `${currency} ${negative ? '-' : ''}${whole}.${fraction.padEnd(2, '0')}`;
}

/** A datetime-local input's value (the operator's local time) as the API's ISO instant. */
export function localInputToIso(value: string): string {
  return new Date(value).toISOString();
}

/** Now as a datetime-local input's default value, in local time, to the minute. */
export function nowForInput(): string {
  const now = new Date();
  now.setSeconds(0, 0);
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}
