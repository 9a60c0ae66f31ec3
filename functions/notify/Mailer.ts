// The Mailer port: hands one composed message to a transport. Adapters: SES (AWS), SMTP
// (pooled), and an outbox directory of .eml files (the embedded default). Every adapter turns
// its transport's failures into a DeliveryError that says whether retrying later can help.
import { type ErrorDetails, ImagewardenError } from '../../core/errors.ts';
import type { ComposedMessage } from './types.ts';

export interface SendReceipt {
  /** The transport's id or response line, for the log. */
  response: string;
}

export interface Mailer {
  readonly name: string;
  send(message: ComposedMessage): Promise<SendReceipt>;
  close(): Promise<void>;
}

/**
 * Thrown by a Mailer when a message was not accepted.
 * - `transient`: the server or network failed (4xx, dropped connection, throttling): keep it pending.
 * - `permanent`: the recipient was refused (5xx on RCPT, SES MessageRejected): report and route
 *   to the security contact.
 * `stopRun` says the transport itself is unusable now (auth, quota, paused account): do not try
 * the remaining messages in this run.
 */
export class DeliveryError extends ImagewardenError {
  override name = 'DeliveryError';
  readonly kind: 'transient' | 'permanent';
  readonly responseCode: number | undefined;
  readonly stopRun: boolean;
  constructor(
    message: string,
    options: ErrorDetails & { kind: 'transient' | 'permanent'; responseCode?: number; stopRun?: boolean },
  ) {
    super(message, options);
    this.kind = options.kind;
    this.responseCode = options.responseCode;
    this.stopRun = options.stopRun ?? false;
  }
}

/** The nodemailer message for a composed message (shared by the SMTP, SES and outbox adapters). */
export function toMailOptions(message: ComposedMessage) {
  return {
    from: message.from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: message.messageId,
    date: new Date(message.createdAt),
    headers: message.headers,
    // keeps nodemailer from rewriting our headers or reading files/URLs named in content
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
