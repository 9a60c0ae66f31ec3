// Seed phase: one /v2/ ping per registry (with the client of its first image); the images of
// an unreachable registry are skipped, the others go on to the digest check.
import { mapBounded } from '../core/concurrency.ts';
import { errorMessage } from '../core/errors.ts';
import type { DesiredImage } from './desired/desired-set.ts';
import type { RecordResult, SeedPorts, SeedResult } from './seed-types.ts';

export async function pingRegistries(
  images: readonly DesiredImage[],
  ports: Pick<SeedPorts, 'resolverFor' | 'logger'>,
  checkConcurrency: number,
  record: RecordResult,
): Promise<{ reachable: DesiredImage[]; unreachable: SeedResult['unreachableRegistries'] }> {
  const byDomain = new Map<string, DesiredImage[]>();
  for (const image of images)
    byDomain.set(image.ref.domain, [...(byDomain.get(image.ref.domain) ?? []), image]);
  const domains = [...byDomain.keys()];
  const pings = await mapBounded(domains, checkConcurrency, (domain) =>
    ports.resolverFor((byDomain.get(domain) ?? [])[0] as DesiredImage).ping(domain),
  );
  const unreachable: SeedResult['unreachableRegistries'] = [];
  const reachable: DesiredImage[] = [];
  domains.forEach((domain, i) => {
    const ping = pings[i];
    const domainImages = byDomain.get(domain) ?? [];
    const failure = !ping?.ok
      ? errorMessage(ping?.error)
      : !ping.value.ok
        ? ping.value.error.message
        : undefined;
    if (failure === undefined) {
      reachable.push(...domainImages);
      return;
    }
    unreachable.push({ registry: domain, error: failure });
    ports.logger.warn(
      { registry: domain, images: domainImages.length, err: failure },
      'registry unreachable; skipping its images',
    );
    for (const image of domainImages) {
      record({
        reference: image.reference,
        outcome: 'skipped',
        skipReason: 'registry-unreachable',
        why: failure,
      });
    }
  });
  return { reachable, unreachable };
}
