// Per-request abort for @kubernetes/client-node's object API, shared by the cluster reader and
// the fan-out's Job scheduler. The object API takes observable-style middleware: anything with
// toPromise(); `pre` hands the request context the signal.
export function withRequestSignal(signal: AbortSignal) {
  return {
    middleware: [
      {
        pre: (context: { setSignal(s: AbortSignal): void }) => {
          context.setSignal(signal);
          return { toPromise: () => Promise.resolve(context) };
        },
        post: (response: unknown) => ({ toPromise: () => Promise.resolve(response) }),
      },
    ],
    middlewareMergeStrategy: 'append' as const,
  };
}
