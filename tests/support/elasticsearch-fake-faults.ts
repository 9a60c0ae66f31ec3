// Fault injection of the Elasticsearch fake (elasticsearch-fake.ts): the faults the next
// searches meet (a status answered with the body Elasticsearch sends for it, or a hang that
// is never answered) and those error bodies.
import type { Json } from './elasticsearch-fake-query.ts';

export type Fault = { kind: 'status'; status: 429 | 503 | 500 } | { kind: 'hang' };

/** The faults the next searches meet, first injected first met. */
export class FaultQueue {
  readonly #faults: Fault[] = [];

  /** The next `times` searches fail this way. */
  inject(fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.#faults.push(fault);
  }

  /** The fault the search now being served meets, if any. */
  next(): Fault | undefined {
    return this.#faults.shift();
  }
}

/** The body Elasticsearch answers a rejected (429) or failed search with. */
export function errorBody(status: number): Json {
  if (status === 429) {
    return {
      error: {
        root_cause: [
          {
            type: 'es_rejected_execution_exception',
            reason: 'rejected execution of coordinating operation',
          },
        ],
        type: 'es_rejected_execution_exception',
        reason: 'rejected execution of coordinating operation [coordinating_and_primary_bytes=0]',
      },
      status,
    };
  }
  return {
    error: { type: 'search_phase_execution_exception', reason: 'all shards failed', phase: 'query' },
    status,
  };
}
