// Deployment settings that are not imagewarden config: what terraform wires between AWS
// resources (the scan queue's URL). Not IMAGEWARDEN_* variables, which the config loader
// would read as (unknown) config keys.
import { z } from 'zod';
import { ConfigError } from '../../../core/errors.ts';

export const HandlerEnvironment = z.object({
  SCAN_QUEUE_URL: z.url({ protocol: /^https?$/ }),
});
export type HandlerEnvironment = z.infer<typeof HandlerEnvironment>;

export function scanQueueUrl(env: NodeJS.ProcessEnv): string {
  const parsed = HandlerEnvironment.shape.SCAN_QUEUE_URL.safeParse(env.SCAN_QUEUE_URL);
  if (!parsed.success) {
    throw new ConfigError(
      'SCAN_QUEUE_URL: expected the scan queue URL (terraform sets it on the inventory function)',
    );
  }
  return parsed.data;
}
