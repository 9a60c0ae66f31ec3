// Helpers shared by the benchmarks: timing, readable lines and the closing JSON line.

/** Runs fn and returns its result with the elapsed wall time in milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { result, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

export function line(label: string, value: string | number): void {
  console.log(`${label.padEnd(48)} ${typeof value === 'number' ? value.toFixed(value < 10 ? 3 : 1) : value}`);
}

export function ratio(a: number, b: number): number {
  return b === 0 ? Number.POSITIVE_INFINITY : a / b;
}

/** The one machine-readable line every benchmark ends with. */
export function emit(bench: string, figures: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench, ...figures }));
}

/** The middle value (upper middle for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
