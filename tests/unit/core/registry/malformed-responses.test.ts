// Property test: whatever bytes a registry sends as a manifest, the client answers with a
// parsed manifest or one of its typed errors; it never crashes with anything else or hangs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImagewardenError } from '../../../../core/errors.ts';
import { parseImageReference } from '../../../../core/image-reference.ts';
import { MediaType } from '../../../../core/registry/mediaTypes.ts';
import { type ManifestResult, RegistryClient } from '../../../../core/registry/RegistryClient.ts';

const ref = parseImageReference('registry.test:5000/team/app:1.0');

function clientAnswering(status: number, body: Uint8Array, headers: Record<string, string>): RegistryClient {
  // An in-process fetch: the property runs hundreds of cases, a socket each would be slow.
  const fakeFetch = (async () =>
    new Response(status === 204 ? null : new Uint8Array(body), { status, headers })) as typeof fetch;
  return new RegistryClient({
    insecure: ['registry.test:5000'],
    fetch: fakeFetch,
    retries: 1,
    sleep: async () => {},
  });
}

const VALID = JSON.stringify({
  schemaVersion: 2,
  mediaType: MediaType.dockerManifest,
  config: { mediaType: MediaType.dockerConfig, size: 2, digest: `sha256:${'b'.repeat(64)}` },
  layers: [],
});

const manifestish = fc.oneof(
  fc.constant(VALID),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc
    .record({
      schemaVersion: fc.oneof(fc.constant(2), fc.integer()),
      mediaType: fc.constantFrom(MediaType.dockerManifest, MediaType.ociIndex, 'text/plain', ''),
      config: fc.anything(),
      layers: fc.anything(),
      manifests: fc.anything(),
    })
    .map((v) => JSON.stringify(v)),
);

describe('malformed registry responses', () => {
  it('always give a manifest or a typed error', async () => {
    let seenSuccess = false;
    await fc.assert(
      fc.asyncProperty(
        manifestish,
        fc.nat({ max: 60 }),
        fc.constantFrom(200, 201, 204, 400, 401, 403, 404, 418, 429, 500, 502, 503),
        fc.option(fc.constantFrom('sha256:abc', `sha256:${'a'.repeat(64)}`, 'garbage', ''), {
          nil: undefined,
        }),
        async (text, cut, status, header) => {
          const bytes = new TextEncoder().encode(text);
          const body = bytes.slice(0, Math.max(0, bytes.length - cut));
          const headers: Record<string, string> = { 'content-type': MediaType.dockerManifest };
          if (header !== undefined) headers['docker-content-digest'] = header;
          const outcome = await clientAnswering(status, body, headers)
            .getManifest(ref)
            .then(
              (m): ManifestResult | Error => m,
              (e: unknown) => e as Error,
            );
          if (outcome instanceof Error) expect(outcome).toBeInstanceOf(ImagewardenError);
          else {
            expect(outcome.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
            expect(status).toBe(200);
            seenSuccess = true;
          }
        },
      ),
      { numRuns: 300, seed: 20261124 },
    );
    // the run must have exercised the success path too, not only errors
    expect(seenSuccess).toBe(true);
  });
});
