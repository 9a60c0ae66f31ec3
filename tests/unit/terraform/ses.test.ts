// The notify role may make every SES call the SES mailer makes: the calls are recorded by
// running the real mailer (nodemailer's SES transport, a real SESv2Client) against the SES
// fake, not listed here a second time; the role's statement comes from terraform/iam.tf.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeMessage } from '../../../functions/notify/compose.ts';
import { SesMailer } from '../../../functions/notify/SesMailer.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../support/dynalite.ts';
import { type SesFake, startSesFake } from '../../support/ses-fake.ts';
import { vuln } from '../functions/notify/fixtures.ts';
import { blocks, expr, first, type Json, loadTfDir, objectsWith, ROOT, type TfDir } from './hcl.ts';

let ses: SesFake;
let mod: TfDir;

beforeAll(async () => {
  ses = await startSesFake();
  mod = await loadTfDir(ROOT);
});

afterAll(async () => {
  await ses.stop();
});

/** The SendMail statement of the per-function statements in iam.tf, as written. */
function sendMailStatement(): { actions: string[]; resources: string; fromAddress: string } {
  const iam = readFileSync(join(ROOT, 'iam.tf'), 'utf8');
  const m =
    /name != "notify" \? \[\] : \[\s*\{[^}]*?sid\s*=\s*"SendMail"\s*\n\s*actions\s*=\s*(\[[^\]]*\])\s*\n\s*resources\s*=\s*([^\n]+)\n\s*from_address\s*=\s*([^\n]+)\n/.exec(
      iam,
    );
  if (!m)
    throw new Error('iam.tf: no SendMail statement for notify with actions, resources and from_address');
  return {
    actions: JSON.parse(m[1] as string) as string[],
    resources: (m[2] as string).trim(),
    fromAddress: (m[3] as string).trim(),
  };
}

describe('terraform notify role and the SES mailer', () => {
  it("allows every IAM action the SES mailer's calls need, limited to the sender address", async () => {
    // Prepare
    const client = new SESv2Client({
      endpoint: ses.url,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const mailer = new SesMailer({ client, configurationSet: 'imagewarden' });
    const message = composeMessage('alice@example.org', [{ finding: vuln(), reason: 'new' }], {
      from: 'imagewarden@example.org',
      runId: 'run-1',
      now: new Date('2026-03-10T12:00:00Z'),
    });

    // Act
    await mailer.send(message);
    await mailer.close();
    const needed = [...new Set(ses.requests.flatMap((r) => r.iamActions))].sort();
    const statement = sendMailStatement();
    const conditions = objectsWith(first(blocks(mod, 'data').aws_iam_policy_document?.function), [
      'variable',
    ]);

    // Assess
    expect(ses.problems).toEqual([]);
    expect(ses.requests.map((r) => r.operation)).toEqual(['SendEmail']);
    expect(ses.requests[0]?.from).toBe('imagewarden@example.org');
    expect(needed).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
    expect(needed.filter((a) => !statement.actions.includes(a))).toEqual([]);
    // the sender is limited by condition, and the resources are identities, not one identity's ARN
    expect(statement.fromAddress).toBe('var.mail_from');
    expect(statement.resources).toContain(':identity/*');
    expect(statement.resources).not.toContain('aws_sesv2_email_identity');
    expect(conditions).toContainEqual({
      test: 'StringEquals',
      variable: 'ses:FromAddress',
      values: [expr('condition.value')],
    } satisfies Record<string, Json>);
  });
});
