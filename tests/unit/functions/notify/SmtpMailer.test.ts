import { describe, expect, it } from 'vitest';
import { classifySmtpError } from '../../../../functions/notify/SmtpMailer.ts';

describe('classifySmtpError', () => {
  it('makes a 5xx on the recipient a permanent refusal', () => {
    const error = classifySmtpError({
      code: 'EENVELOPE',
      responseCode: 550,
      response: '550 5.1.1 unknown user',
    });

    expect(error).toMatchObject({ kind: 'permanent', responseCode: 550, stopRun: false });
  });

  it('keeps 4xx and dropped connections transient, so the message stays pending', () => {
    expect(classifySmtpError({ code: 'EENVELOPE', responseCode: 421 })).toMatchObject({ kind: 'transient' });
    expect(classifySmtpError({ code: 'ECONNECTION', message: 'Connection closed' })).toMatchObject({
      kind: 'transient',
      responseCode: undefined,
    });
  });

  it('stops the run on failed authentication: no other message would get through', () => {
    expect(classifySmtpError({ code: 'EAUTH', responseCode: 535 })).toMatchObject({
      kind: 'transient',
      stopRun: true,
    });
  });
});
