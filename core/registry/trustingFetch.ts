// A fetch for the registry client that trusts the default CAs plus a private bundle
// (`registry.caFile`); the rest of the process (e.g. the AWS SDK) keeps the default store.
// Node's global fetch takes no CA option, so this is undici's fetch (the implementation
// behind the global one) with an Agent carrying the bundle.
import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';

/** A fetch that trusts the default CAs plus `extraCas`, for the registry client. */
export function fetchTrusting(extraCas: readonly string[]): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, ...extraCas] } });
  const trusting = (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
  // undici's fetch is the implementation behind Node's global one; only its types differ
  return trusting as unknown as typeof fetch;
}
