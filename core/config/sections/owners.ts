// Settings of owner resolution: label keys, host owners, Nivlheim, the security contact.
import { z } from 'zod';
import { Duration, EmailAddress, HttpUrl, SecretRef } from '../common.ts';

export const OwnersSection = z
  .object({
    /** Container label keys tried in order (Beats dedots keys: both forms are tried). */
    labelKeys: z
      .array(z.string().min(1))
      .default(['owner', 'org.opencontainers.image.authors', 'maintainer']),
    /** Host name globs mapped to the host owner's address. */
    hosts: z.record(z.string(), EmailAddress).default({}),
    nivlheim: z
      .object({
        url: HttpUrl,
        apiKey: SecretRef,
        /** ownerGroup -> email address. */
        groups: z.record(z.string(), EmailAddress).default({}),
        requestTimeout: Duration.prefault(10_000),
      })
      .strict()
      .optional(),
    /** The last fallback, and where security findings go. */
    securityContact: EmailAddress.default('security@example.org'),
  })
  .strict();
