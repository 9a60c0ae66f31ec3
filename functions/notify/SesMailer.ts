// Amazon SES (v2 API) through nodemailer's SES transport. nodemailer 7+ no longer throttles
// SES; the notify step's rate limiter does. SES quotas count recipients: one per message here.
import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import nodemailer from 'nodemailer';
import type SESTransport from 'nodemailer/lib/ses-transport/index.js';
import { retryable } from '../../core/retryable.ts';
import { DeliveryError, type Mailer, type SendReceipt, toMailOptions } from './Mailer.ts';
import type { ComposedMessage } from './types.ts';

/** The part of SESv2Client the adapter uses; tests inject a fake `send`. */
export type SesClientLike = Pick<SESv2Client, 'send'> & { config?: SESv2Client['config'] | undefined };

interface AwsFailure {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

// Errors after which no other message of this run can succeed either.
const STOP_RUN = new Set([
  'AccountSuspendedException',
  'SendingPausedException',
  'MailFromDomainNotVerifiedException',
  'LimitExceededException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
]);

export function classifySesError(error: unknown): DeliveryError {
  const failure = (error ?? {}) as AwsFailure;
  const name = failure.name ?? 'Error';
  const status = failure.$metadata?.httpStatusCode;
  const text = `${name}: ${failure.message ?? String(error)}`;
  if (name === 'MessageRejected') {
    // SES refused this message (e.g. an unverified recipient in the sandbox, or content)
    return new DeliveryError(`SES refused the message: ${text}`, {
      kind: 'permanent',
      ...(status !== undefined ? { responseCode: status } : {}),
      cause: error,
    });
  }
  if (STOP_RUN.has(name) || status === 403) {
    return new DeliveryError(`SES cannot send now: ${text}`, {
      kind: 'transient',
      stopRun: true,
      ...(status !== undefined ? { responseCode: status } : {}),
      cause: error,
    });
  }
  // Anything else another attempt may cure (throttling, 5xx, a dropped connection) leaves this
  // message pending; what it may not (another 4xx) would fail every message alike, so the run
  // stops with them all pending rather than sending each into the same refusal.
  const again = retryable(error);
  return new DeliveryError(`SES delivery failed: ${text}`, {
    kind: 'transient',
    ...(again ? {} : { stopRun: true }),
    ...(status !== undefined ? { responseCode: status } : {}),
    cause: error,
  });
}

export class SesMailer implements Mailer {
  readonly name = 'ses';
  readonly #transport: nodemailer.Transporter<SESTransport.SentMessageInfo>;
  readonly #ses: SESTransport.MailSesOptions;

  constructor(options: { client: SesClientLike; configurationSet?: string }) {
    this.#transport = nodemailer.createTransport({
      SES: { sesClient: options.client as SESTransport.SESv2ClientLike, SendEmailCommand },
    });
    // per-message SendEmail fields: nodemailer reads them from each message, not the transport
    this.#ses = options.configurationSet ? { ConfigurationSetName: options.configurationSet } : {};
  }

  async send(message: ComposedMessage): Promise<SendReceipt> {
    try {
      const options = toMailOptions(message);
      // SES replaces the Message-ID with its own, so a copy resent after a crash would not fold
      // with the first: both carry ours here, and References makes clients thread them together
      const mail: SESTransport.MailOptions = {
        ...options,
        headers: { ...options.headers, 'X-Imagewarden-Message-ID': message.messageId },
        references: message.messageId,
        ses: this.#ses,
      };
      const info = await this.#transport.sendMail(mail);
      return { response: info.response };
    } catch (error) {
      throw classifySesError(error);
    }
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}
