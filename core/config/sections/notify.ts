// Settings of the notify step: transports, rate, reminders, acknowledgements.
import { z } from 'zod';
import { Duration, EmailAddress, HttpUrl, SecretRef } from '../common.ts';

export const NotifySection = z
  .object({
    transport: z.enum(['outbox', 'smtp', 'ses']).default('outbox'),
    outboxDir: z.string().default('.imagewarden/outbox'),
    from: EmailAddress.default('imagewarden@example.org'),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        secure: z.boolean().default(false),
        username: z.string().optional(),
        password: SecretRef.optional(),
        maxConnections: z.number().int().min(1).max(20).default(2),
      })
      .strict()
      .optional(),
    ses: z.object({ region: z.string().optional() }).strict().optional(),
    /** Messages per second, enforced by imagewarden (nodemailer 7+ does not throttle SES). */
    sendRate: z.number().positive().max(1000).default(1),
    reminderInterval: Duration.prefault('7d'),
    ack: z
      .object({
        /** Base URL of the ack handler (Lambda function URL or `imagewarden serve-ack`). */
        baseUrl: HttpUrl.default('http://127.0.0.1:8787'),
        hmacKey: SecretRef.optional(),
        defaultDays: z.number().int().min(1).default(90),
        maxDays: z.number().int().min(1).default(365),
        /** GitOps acknowledgements file. */
        file: z.string().optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();
