// Settings of the notify step: transports, rate, reminders, acknowledgements.
import { z } from 'zod';
import { Duration, EmailAddress, HttpUrl, SecretRef } from '../common.ts';

export const NotifySection = z
  .object({
    transport: z
      .enum(['outbox', 'smtp', 'ses'])
      .default('outbox')
      .describe('How mail leaves: `outbox` writes .eml files (local default), `smtp`, or `ses` (AWS).'),
    outboxDir: z
      .string()
      .default('.imagewarden/outbox')
      .describe('Directory of .eml files for the `outbox` transport.'),
    from: EmailAddress.default('imagewarden@example.org').describe(
      'Sender address (with SES: a verified identity). Also names the List-Id and Message-ID domain.',
    ),
    smtp: z
      .object({
        host: z.string().min(1).describe('SMTP server host.'),
        port: z.number().int().min(1).max(65535).default(587).describe('SMTP port.'),
        secure: z
          .boolean()
          .default(false)
          .describe('TLS from the start (port 465); otherwise STARTTLS when offered.'),
        username: z.string().optional().describe('SMTP user name.'),
        password: SecretRef.optional().describe('SMTP password (a secret reference).'),
        maxConnections: z
          .number()
          .int()
          .min(1)
          .max(20)
          .default(2)
          .describe('Pooled connections kept open to the server.'),
      })
      .strict()
      .optional()
      .describe('SMTP server, when transport is `smtp`.'),
    ses: z
      .object({
        region: z.string().optional().describe('SES region (default: the SDK default chain).'),
        configurationSet: z.string().optional().describe('SES configuration set for event publishing.'),
      })
      .strict()
      .optional()
      .describe('Amazon SES (v2 API), when transport is `ses`.'),
    /** Messages per second, enforced by imagewarden (nodemailer 7+ does not throttle SES). */
    sendRate: z
      .number()
      .positive()
      .max(1000)
      .default(1)
      .describe('Messages per second, enforced by imagewarden for every transport (SES sandbox: 1).'),
    reminderInterval: Duration.prefault('7d').describe(
      'Still-open findings are mailed again as a reminder after this long.',
    ),
    selinuxFindings: z
      .object({
        index: z
          .string()
          .min(1)
          .describe('Index the node runners write SELinux findings to (runner.selinux.elasticsearch.index).'),
        lookback: Duration.prefault('26h').describe(
          'Findings reported within this window are open; older ones count as resolved.',
        ),
        maxFindings: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(10_000)
          .describe('Most findings read per run.'),
      })
      .strict()
      .optional()
      .describe(
        "Read the runners' SELinux findings from Elasticsearch (connection: inventory.elasticsearch) and mail them to owners.securityContact.",
      ),
    keepOutbox: Duration.prefault('30d').describe(
      'How long sent and refused messages stay in the outbox state.',
    ),
    ack: z
      .object({
        /** Base URL of the ack handler (Lambda function URL or `imagewarden serve-ack`). */
        baseUrl: HttpUrl.default('http://127.0.0.1:8787').describe(
          'Base URL of the ack handler (the Lambda function URL, or `imagewarden serve-ack`).',
        ),
        hmacKey: SecretRef.optional().describe(
          'Key signing acknowledgement links (a secret reference). Without it, emails carry no ack links.',
        ),
        defaultDays: z
          .number()
          .int()
          .min(1)
          .default(90)
          .describe('Days an acknowledgement lasts unless told otherwise.'),
        maxDays: z.number().int().min(1).default(365).describe('Longest acknowledgement allowed.'),
        linkDays: z
          .number()
          .int()
          .min(1)
          .default(30)
          .describe('Days an acknowledge link in an email stays valid.'),
        /** GitOps acknowledgements file. */
        file: z
          .string()
          .optional()
          .describe('Acknowledgements YAML file kept in git (see examples/acks.yaml).'),
      })
      .strict()
      .prefault({})
      .describe('Acknowledgements: signed links, expiry limits, the GitOps file.'),
  })
  .strict();
export type NotifySection = z.infer<typeof NotifySection>;
