// The embedded default transport: each message becomes `<outbox id>.eml` in a directory, for
// a local run, a dry run to inspect, or another tool to pick up. The file name is the outbox
// id, so resending a message rewrites its file instead of adding a second one.
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { writeFileAtomic } from '../../core/atomic-file.ts';
import { DeliveryError, type Mailer, type SendReceipt, toMailOptions } from './Mailer.ts';
import type { ComposedMessage } from './types.ts';

export class OutboxDirMailer implements Mailer {
  readonly name = 'outbox';
  readonly #dir: string;
  readonly #builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The raw RFC 5322 bytes nodemailer builds for a message. */
  async build(message: ComposedMessage): Promise<Buffer> {
    const info = await this.#builder.sendMail(toMailOptions(message));
    return info.message as Buffer;
  }

  async send(message: ComposedMessage): Promise<SendReceipt> {
    const path = join(this.#dir, `${message.id}.eml`);
    try {
      await writeFileAtomic(path, await this.build(message), 0o644);
    } catch (error) {
      throw new DeliveryError(`cannot write ${path}: ${(error as Error).message}`, {
        kind: 'transient',
        stopRun: true,
        cause: error,
      });
    }
    return { response: `written ${path}` };
  }

  async close(): Promise<void> {}
}
