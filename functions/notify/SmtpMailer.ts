// SMTP through nodemailer's pooled transport. Pacing is done by the notify step's rate
// limiter (the same for every transport), so nodemailer's own rate limit is left off.
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { DeliveryError, type Mailer, type SendReceipt, toMailOptions } from './Mailer.ts';
import type { ComposedMessage } from './types.ts';

export interface SmtpMailerOptions {
  host: string;
  port: number;
  secure: boolean;
  auth?: { user: string; pass: string };
  maxConnections: number;
  /** Messages per connection before it is recycled. */
  maxMessages?: number;
  connectionTimeoutMs?: number;
  /** Loopback test servers use self-signed certificates. */
  tlsRejectUnauthorized?: boolean;
}

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

export function classifySmtpError(error: unknown): DeliveryError {
  const failure = (error ?? {}) as SmtpFailure;
  const code = failure.responseCode;
  const text = failure.response ?? failure.message ?? String(error);
  if (failure.code === 'EAUTH') {
    return new DeliveryError(`SMTP authentication failed: ${text}`, {
      kind: 'transient',
      stopRun: true,
      cause: error,
    });
  }
  if (code !== undefined && code >= 500 && failure.code === 'EENVELOPE') {
    return new DeliveryError(`recipient refused: ${text}`, {
      kind: 'permanent',
      responseCode: code,
      cause: error,
    });
  }
  if (code !== undefined && code >= 500) {
    // 5xx on DATA etc.: the message itself was refused (size, content); retrying will not help
    return new DeliveryError(`message refused: ${text}`, {
      kind: 'permanent',
      responseCode: code,
      cause: error,
    });
  }
  return new DeliveryError(`SMTP delivery failed: ${text}`, {
    kind: 'transient',
    ...(code !== undefined ? { responseCode: code } : {}),
    cause: error,
  });
}

export class SmtpMailer implements Mailer {
  readonly name = 'smtp';
  readonly #transport: nodemailer.Transporter<SMTPTransport.SentMessageInfo>;

  constructor(options: SmtpMailerOptions) {
    this.#transport = nodemailer.createTransport({
      pool: true,
      host: options.host,
      port: options.port,
      secure: options.secure,
      ...(options.auth ? { auth: options.auth } : {}),
      maxConnections: options.maxConnections,
      maxMessages: options.maxMessages ?? 100,
      connectionTimeout: options.connectionTimeoutMs ?? 30_000,
      greetingTimeout: options.connectionTimeoutMs ?? 30_000,
      socketTimeout: 60_000,
      tls: { rejectUnauthorized: options.tlsRejectUnauthorized ?? true },
    } as SMTPTransport.Options);
  }

  async send(message: ComposedMessage): Promise<SendReceipt> {
    try {
      const info = await this.#transport.sendMail(toMailOptions(message));
      if (info.rejected.length > 0) {
        throw Object.assign(new Error(`recipient refused: ${info.rejected.join(', ')}`), {
          code: 'EENVELOPE',
          responseCode: 550,
          response: info.response,
        });
      }
      return { response: info.response };
    } catch (error) {
      throw error instanceof DeliveryError ? error : classifySmtpError(error);
    }
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}
