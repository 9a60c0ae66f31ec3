// Settings of owner resolution: label keys, host owners, Nivlheim, the security contact.
import { z } from 'zod';
import { Duration, EmailAddress, httpUrl, SecretRef } from '../common.ts';

export const OwnersSection = z
  .object({
    labelKeys: z
      .array(z.string().min(1))
      .default(['owner', 'org.opencontainers.image.authors', 'maintainer'])
      .describe(
        'Container label keys tried in order; each is also tried in its Beats-dedotted form (`.` -> `_`).',
      ),
    hosts: z
      .record(z.string(), EmailAddress)
      .default({})
      .describe('Host name globs (`*`, `?`) mapped to the host owner; first match in file order wins.'),
    nivlheim: z
      .object({
        url: httpUrl('`apiKey`').describe('Nivlheim base URL; `/api/v2/hostlist` is read once per run.'),
        apiKey: SecretRef.describe('Nivlheim API key (secret reference), sent as `Authorization: APIKEY`.'),
        groups: z
          .record(z.string(), EmailAddress)
          .default({})
          .describe('Nivlheim ownerGroup -> email address (Nivlheim has no email field).'),
        requestTimeout: Duration.prefault(10_000).describe('Timeout of the hostlist request.'),
      })
      .strict()
      .optional()
      .describe('Host owners from Nivlheim, asked after the static `hosts` map.'),
    securityContact: EmailAddress.default('security@example.org').describe(
      'The last fallback recipient, and where security findings go.',
    ),
  })
  .strict();
export type OwnersSection = z.infer<typeof OwnersSection>;
