// An Amazon SES v2 fake over HTTP, for a real SESv2Client (endpoint override, or the
// AWS_ENDPOINT_URL_SESV2 variable for a bundled handler): the one operation imagewarden uses,
// SendEmail (`POST /v2/email/outbound-emails`, JSON), answered with a MessageId. Like SES it
// refuses a message with no Content (400 BadRequestException) and, when `verified` is given, a
// FromEmailAddress outside it (400 MessageRejected: "Email address is not verified").
// Each request is recorded with the IAM actions SES authorizes it against: SendEmail needs
// ses:SendEmail, and with Raw content also ses:SendRawEmail (AWS reports AccessDenied for
// nodemailer's raw messages otherwise). Any other request is recorded in `problems`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SesRequest {
  /** SESv2 operation name. */
  operation: string;
  /** IAM actions SES checks for this request. */
  iamActions: string[];
  from: string | undefined;
  to: string[];
  configurationSet: string | undefined;
  /** The MIME message, for Raw content. */
  raw: Buffer | undefined;
}

export interface SesFake {
  url: string;
  requests: SesRequest[];
  problems: string[];
  stop(): Promise<void>;
}

interface SendEmailBody {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[] };
  ConfigurationSetName?: string;
  Content?: { Raw?: { Data?: string }; Simple?: unknown; Template?: unknown };
}

export async function startSesFake(options: { verified?: string[] } = {}): Promise<SesFake> {
  const requests: SesRequest[] = [];
  const problems: string[] = [];
  let sent = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown, errorType?: string) => {
        res
          .writeHead(status, {
            'content-type': 'application/json',
            'x-amzn-requestid': `req-${requests.length}`,
            ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
          })
          .end(JSON.stringify(body));
      };
      const path = new URL(req.url ?? '/', 'http://fake').pathname;
      if (req.method !== 'POST' || path !== '/v2/email/outbound-emails') {
        problems.push(`${req.method} ${path}`);
        return reply(
          404,
          { message: `the SES fake does not implement ${req.method} ${path}` },
          'NotFoundException',
        );
      }
      let body: SendEmailBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SendEmailBody;
      } catch {
        problems.push('SendEmail with a body that is not JSON');
        return reply(400, { message: 'invalid JSON' }, 'BadRequestException');
      }
      const rawData = body.Content?.Raw?.Data;
      const raw = rawData === undefined ? undefined : Buffer.from(rawData, 'base64');
      const from =
        body.FromEmailAddress ??
        (raw ? /^From:.*?<?([^<>\s]+@[^<>\s]+)>?\s*$/im.exec(raw.toString('utf8'))?.[1] : undefined);
      requests.push({
        operation: 'SendEmail',
        iamActions: raw ? ['ses:SendEmail', 'ses:SendRawEmail'] : ['ses:SendEmail'],
        from,
        to: body.Destination?.ToAddresses ?? [],
        configurationSet: body.ConfigurationSetName,
        raw,
      });
      if (!body.Content || (!raw && !body.Content.Simple && !body.Content.Template))
        return reply(400, { message: 'Content is required' }, 'BadRequestException');
      if (options.verified && (from === undefined || !options.verified.includes(from)))
        return reply(400, { message: `Email address is not verified. ${from}` }, 'MessageRejected');
      sent++;
      return reply(200, { MessageId: `0100-fake-${sent}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    problems,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
