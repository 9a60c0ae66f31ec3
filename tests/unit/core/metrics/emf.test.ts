import { describe, expect, it } from 'vitest';
import { emitRunMetrics, metricsFromSummary, withRequestMetrics } from '../../../../core/metrics/emf.ts';

/** What CloudWatch would extract from an EMF line: the metric names declared, with their values. */
function extract(line: string) {
  const doc = JSON.parse(line) as {
    _aws: {
      Timestamp: number;
      CloudWatchMetrics: Array<{
        Namespace: string;
        Dimensions: string[][];
        Metrics: Array<{ Name: string }>;
      }>;
    };
  } & Record<string, unknown>;
  const directive = doc._aws.CloudWatchMetrics[0];
  return {
    namespace: directive?.Namespace,
    dimensions: Object.fromEntries((directive?.Dimensions[0] ?? []).map((d) => [d, doc[d]])),
    values: Object.fromEntries((directive?.Metrics ?? []).map((m) => [m.Name, doc[m.Name]])),
    timestamp: doc._aws.Timestamp,
  };
}

describe('EMF metrics', () => {
  it('turns a run summary into PascalCase counts, nested keys joined, booleans as 0/1', () => {
    // Act
    const metrics = metricsFromSummary({
      job: 'inventory',
      images: 12,
      partialShards: false,
      policy: { findings: 2, cleared: 1 },
      failures: ['x'],
    });

    // Assess
    expect(metrics).toEqual({ Images: 12, PartialShards: 0, PolicyFindings: 2, PolicyCleared: 1 });
  });

  it('writes one EMF line per run in Lambda, with RunSucceeded for the heartbeat alarm', () => {
    // Prepare
    const lines: string[] = [];

    // Act
    emitRunMetrics(
      { images: 3, enqueued: 3 },
      {
        functionName: 'imagewarden-inventory',
        succeeded: true,
        now: () => 1_700_000_000_000,
        write: (l) => lines.push(l),
      },
    );
    emitRunMetrics({ images: 3 }, { functionName: undefined, succeeded: true, write: (l) => lines.push(l) });

    // Assess: nothing outside Lambda; one newline-terminated line inside
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(extract(lines[0] ?? '')).toEqual({
      namespace: 'imagewarden',
      dimensions: { FunctionName: 'imagewarden-inventory' },
      values: { Images: 3, Enqueued: 3, RunSucceeded: 1 },
      timestamp: 1_700_000_000_000,
    });
  });

  it('counts function-URL requests by status, a 5xx as not succeeded', async () => {
    // Prepare
    const lines: string[] = [];
    const handler = withRequestMetrics(
      async (event: { status: number }) => ({ statusCode: event.status, body: '' }),
      'imagewarden-ack',
      (l) => lines.push(l),
    );

    // Act
    await handler({ status: 200 });
    await handler({ status: 503 });

    // Assess
    expect(lines.map((l) => extract(l).values)).toEqual([
      { Requests: 1, Status200: 1, RunSucceeded: 1 },
      { Requests: 1, Status503: 1, RunSucceeded: 0 },
    ]);
  });
});
