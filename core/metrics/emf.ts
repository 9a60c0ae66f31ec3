// CloudWatch Embedded Metric Format: a JSON log line with an `_aws` member that CloudWatch Logs
// turns into metrics, with no API call and no permission beyond writing logs. Each handler
// writes its run summary's counts as one such line (namespace "imagewarden", dimension
// FunctionName), plus RunSucceeded = 1 when the run finished: the inventory heartbeat alarm
// in terraform/alarms.tf fires when that is missing for 3 hours.
// Written straight to stdout, not through console: Lambda's JSON log format wraps console
// output in its own object, which would hide the `_aws` member from CloudWatch.

export const METRICS_NAMESPACE = 'imagewarden';
/** The most metrics one EMF directive may hold. */
const MAX_METRICS = 100;

export type MetricValues = Record<string, number>;

const pascal = (key: string): string => key.charAt(0).toUpperCase() + key.slice(1);

/**
 * The numbers of a run summary as metric names: nested keys joined in PascalCase
 * (`{ policy: { findings: 2 } }` -> `PolicyFindings: 2`), booleans as 0/1; strings, arrays
 * and non-finite numbers are left out.
 */
export function metricsFromSummary(summary: object, prefix = ''): MetricValues {
  const out: MetricValues = {};
  for (const [key, value] of Object.entries(summary)) {
    const name = `${prefix}${pascal(key)}`;
    if (typeof value === 'number' && Number.isFinite(value)) out[name] = value;
    else if (typeof value === 'boolean') out[name] = value ? 1 : 0;
    else if (value !== null && typeof value === 'object' && !Array.isArray(value))
      Object.assign(out, metricsFromSummary(value, name));
  }
  return out;
}

/** One EMF log line (without the newline) for these metrics, all of unit Count. */
export function emfLine(
  metrics: MetricValues,
  options: { dimensions: Record<string, string>; namespace?: string; timestamp: number },
): string {
  const names = Object.keys(metrics).slice(0, MAX_METRICS);
  return JSON.stringify({
    _aws: {
      Timestamp: options.timestamp,
      CloudWatchMetrics: [
        {
          Namespace: options.namespace ?? METRICS_NAMESPACE,
          Dimensions: [Object.keys(options.dimensions)],
          Metrics: names.map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    },
    ...options.dimensions,
    ...Object.fromEntries(names.map((n) => [n, metrics[n]])),
  });
}

export interface RunMetricsOptions {
  /** The Lambda function's name (AWS_LAMBDA_FUNCTION_NAME); nothing is written without one. */
  functionName: string | undefined;
  /** True when the run finished (RunSucceeded = 1), false for a degraded or failed one. */
  succeeded: boolean;
  now?: () => number;
  write?: (line: string) => void;
}

/** Writes a run summary's counts as one EMF line, in Lambda only (elsewhere there is no CloudWatch). */
export function emitRunMetrics(summary: object, options: RunMetricsOptions): void {
  if (!options.functionName) return;
  const metrics = { ...metricsFromSummary(summary), RunSucceeded: options.succeeded ? 1 : 0 };
  const line = emfLine(metrics, {
    dimensions: { FunctionName: options.functionName },
    timestamp: (options.now ?? Date.now)(),
  });
  (options.write ?? ((l: string) => process.stdout.write(l)))(`${line}\n`);
}

/**
 * A function-URL handler that also writes one EMF line per request: Requests = 1 and
 * Status<code> = 1 (e.g. Status200, Status503), so a flood or an outage shows as a metric.
 */
export function withRequestMetrics<E, C, R extends { statusCode: number }>(
  handler: (event: E, context?: C) => Promise<R>,
  functionName: string | undefined,
  write?: (line: string) => void,
): (event: E, context?: C) => Promise<R> {
  return async (event, context) => {
    const result = await handler(event, context);
    emitRunMetrics(
      { requests: 1, [`status${result.statusCode}`]: 1 },
      { functionName, succeeded: result.statusCode < 500, ...(write ? { write } : {}) },
    );
    return result;
  };
}
