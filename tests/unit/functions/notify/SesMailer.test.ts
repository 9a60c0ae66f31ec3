import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../../../functions/notify/compose.ts';
import { DeliveryError } from '../../../../functions/notify/Mailer.ts';
import { type SesClientLike, SesMailer } from '../../../../functions/notify/SesMailer.ts';
import { vuln } from './fixtures.ts';

const message = composeMessage('alice@example.org', [{ finding: vuln(), reason: 'new' }], {
  from: 'imagewarden@example.org',
  runId: 'run-1',
  now: new Date('2026-03-10T12:00:00Z'),
});

function fakeClient(answer: (command: SendEmailCommand) => Promise<{ MessageId?: string }>) {
  const commands: SendEmailCommand[] = [];
  const client = {
    send: async (command: unknown) => {
      commands.push(command as SendEmailCommand);
      return answer(command as SendEmailCommand);
    },
    config: { region: async () => 'eu-north-1' },
  } as unknown as SesClientLike;
  return { client, commands };
}

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from SES`), { name, $metadata: { httpStatusCode: status } });
}

describe('SesMailer', () => {
  it('sends the raw MIME message through SESv2 SendEmail with our Message-ID and List-Id', async () => {
    // Prepare
    const { client, commands } = fakeClient(async () => ({ MessageId: '0100018f-abc' }));
    const mailer = new SesMailer({ client, configurationSet: 'imagewarden' });
    // Act
    const receipt = await mailer.send(message);
    // Assess
    expect(receipt.response).toBe('0100018f-abc');
    const input = commands[0]?.input;
    expect(commands[0]).toBeInstanceOf(SendEmailCommand);
    expect(input?.Destination?.ToAddresses).toEqual(['alice@example.org']);
    expect(input?.ConfigurationSetName).toBe('imagewarden');
    const parsed = await simpleParser(Buffer.from(input?.Content?.Raw?.Data ?? new Uint8Array()));
    expect(parsed.messageId).toBe(message.messageId);
    expect(parsed.headers.get('list')).toMatchObject({ id: { id: 'findings.imagewarden.example.org' } });
    expect(parsed.subject).toBe(message.subject);
  });

  it('treats throttling (429) and server errors as transient: the message stays pending', async () => {
    const { client } = fakeClient(async () => {
      throw awsError('TooManyRequestsException', 429);
    });

    const error = await new SesMailer({ client }).send(message).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ kind: 'transient', responseCode: 429, stopRun: false });
  });

  it('treats MessageRejected as a permanent refusal of this message', async () => {
    const { client } = fakeClient(async () => {
      throw awsError('MessageRejected', 400);
    });

    await expect(new SesMailer({ client }).send(message)).rejects.toMatchObject({ kind: 'permanent' });
  });

  it('stops the run when sending is paused for the account', async () => {
    const { client } = fakeClient(async () => {
      throw awsError('SendingPausedException', 400);
    });

    await expect(new SesMailer({ client }).send(message)).rejects.toMatchObject({
      kind: 'transient',
      stopRun: true,
    });
  });

  it('stops the run, every message left pending, on a refusal that is not about this message', async () => {
    const { client } = fakeClient(async () => {
      throw awsError('BadRequestException', 400);
    });

    await expect(new SesMailer({ client }).send(message)).rejects.toMatchObject({
      kind: 'transient',
      stopRun: true,
      responseCode: 400,
    });
  });

  it('keeps going after a server error: only this message waits for the next run', async () => {
    const { client } = fakeClient(async () => {
      throw awsError('InternalFailure', 500);
    });

    await expect(new SesMailer({ client }).send(message)).rejects.toMatchObject({
      kind: 'transient',
      stopRun: false,
    });
  });
});
