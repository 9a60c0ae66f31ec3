import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, ManualClock } from '../../core/clock.ts';
import { parseConfig } from '../../core/config/load.ts';
import { silentLogger } from '../../core/logger.ts';
import { createStateStore } from '../../core/state/createStateStore.ts';
import { type NotifyOptions, notify } from '../../functions/notify/notify.ts';
import { listOutbox } from '../../functions/notify/outbox.ts';
import { type SesClientLike, SesMailer } from '../../functions/notify/SesMailer.ts';
import { dynaliteForSuite, LOCAL_CREDENTIALS } from '../support/dynalite.ts';
import { storeFindings, vuln } from '../unit/functions/notify/fixtures.ts';

const TABLE = 'imagewarden-notify-it';
const credentials = LOCAL_CREDENTIALS;
const OWNERS = ['ann', 'ben', 'cat', 'dan'].map((n) => `${n}@example.org`);

const dynamo = dynaliteForSuite([TABLE]);

/**
 * An SESv2 client whose `send` accepts raw SendEmail until `throttleAfter` messages, then
 * answers 429. Any other command (or a SendEmail without raw content) is refused and recorded
 * in `unexpected`, which the test asserts is empty.
 */
function fakeSes() {
  const accepted: Buffer[] = [];
  const unexpected: string[] = [];
  let throttleAfter = Number.POSITIVE_INFINITY;
  const client = {
    send: async (command: unknown) => {
      const raw = command instanceof SendEmailCommand ? command.input.Content?.Raw?.Data : undefined;
      if (!raw || raw.length === 0) {
        unexpected.push((command as object)?.constructor?.name ?? String(command));
        throw Object.assign(new Error('the SES fake only understands SendEmail with raw content'), {
          name: 'BadRequestException',
          $metadata: { httpStatusCode: 400 },
        });
      }
      if (accepted.length >= throttleAfter) {
        throw Object.assign(new Error('Maximum sending rate exceeded.'), {
          name: 'TooManyRequestsException',
          $metadata: { httpStatusCode: 429 },
        });
      }
      accepted.push(Buffer.from(raw));
      return { MessageId: `0100-${accepted.length}` };
    },
  } as unknown as SesClientLike;
  return {
    client,
    accepted,
    unexpected,
    throttleAfter: (n: number) => {
      throttleAfter = n;
    },
  };
}

describe('notify with DynamoDB state (dynalite) and the SES adapter', () => {
  it('keeps throttled messages pending in DynamoDB and sends only those next run', async () => {
    // Prepare
    const state = parseConfig({
      state: { backend: 'dynamodb', table: TABLE, region: 'eu-north-1', endpoint: dynamo.endpoint },
    }).state;
    const store = createStateStore(state, { dynamodb: { credentials } });
    await storeFindings(
      store,
      OWNERS.map((owner) => vuln({ owner, repository: `harbor.example.org/${owner.split('@')[0]}/app` })),
    );
    const ses = fakeSes();
    const clock = new ManualClock('2026-03-10T12:00:00Z');
    const ports = {
      store,
      mailer: new SesMailer({ client: ses.client }),
      clock,
      logger: silentLogger(),
      sleep: async (ms: number) => clock.advance(ms),
    };
    const options: NotifyOptions = {
      runId: 'scheduled-2026-03-10T12:00',
      from: 'imagewarden@example.org',
      securityContact: 'security@example.org',
      reminderIntervalMs: 7 * DAY_MS,
      sendRate: 1,
    };
    ses.throttleAfter(1);

    // Act
    const throttled = await notify(ports, options);
    const pendingInDynamo = (await listOutbox(store)).filter((r) => r.status === 'pending').length;
    ses.throttleAfter(Number.POSITIVE_INFINITY);
    clock.advance(HOUR_MS);
    const next = await notify(ports, { ...options, runId: 'scheduled-2026-03-10T13:00' });
    clock.advance(HOUR_MS);
    const unchanged = await notify(ports, { ...options, runId: 'scheduled-2026-03-10T14:00' });

    // Assess
    expect(throttled).toMatchObject({ sent: 1, pending: 3 });
    expect(pendingInDynamo).toBe(3);
    expect(next).toMatchObject({ carriedOver: 3, sent: 3, pending: 0 });
    expect(unchanged).toMatchObject({ composed: 0, sent: 0 });
    const to = (await Promise.all(ses.accepted.map((raw) => simpleParser(raw)))).map((m) =>
      Array.isArray(m.to) ? '' : m.to?.text,
    );
    expect(to.sort()).toEqual(OWNERS);
    expect(ses.unexpected).toEqual([]);
  });
});
