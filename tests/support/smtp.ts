// A real SMTP server (the `smtp-server` package) on loopback for the notify tests, with
// failure injection: 421 "try again later" after N messages, a dropped connection after N
// messages, and 550 for given recipients. Received messages are kept raw and parsed back
// with mailparser, as a mailbox would see them.
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface SmtpFailures {
  /** After this many accepted messages, answer MAIL FROM with 421 (server busy). */
  tempFailAfter?: number;
  /** After this many accepted messages, drop the connection when the next MAIL FROM arrives. */
  dropAfter?: number;
  /** Recipients refused at RCPT TO with 550 (mailbox unavailable). */
  rejectRecipients?: string[];
}

export interface ReceivedMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

export interface SmtpTestServer {
  host: string;
  port: number;
  received: ReceivedMessage[];
  /** Every MAIL FROM the server saw, refused or not. */
  attempts: number;
  setFailures(failures: SmtpFailures): void;
  parsed(): Promise<ParsedMail[]>;
  stop(): Promise<void>;
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startSmtpServer(initial: SmtpFailures = {}): Promise<SmtpTestServer> {
  let failures = initial;
  const state: SmtpTestServer = {
    host: '127.0.0.1',
    port: 0,
    received: [],
    attempts: 0,
    setFailures: (next) => {
      failures = next;
    },
    parsed: () => Promise.all(state.received.map((m) => simpleParser(m.raw))),
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: SMTPServer = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    onMailFrom(_address, session: SMTPServerSession, callback) {
      state.attempts++;
      const accepted = state.received.length;
      if (failures.dropAfter !== undefined && accepted >= failures.dropAfter) {
        for (const connection of server.connections) {
          if (connection.id === session.id) connection._socket.destroy();
        }
        return;
      }
      if (failures.tempFailAfter !== undefined && accepted >= failures.tempFailAfter) {
        callback(smtpError(421, 'Service not available, try again later'));
        return;
      }
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (failures.rejectRecipients?.includes(address.address.toLowerCase())) {
        callback(
          smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected: mailbox unavailable`),
        );
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        state.received.push({
          envelope: { from, to: session.envelope.rcptTo.map((r) => r.address) },
          raw: Buffer.concat(chunks),
        });
        callback(null, 'queued');
      });
    },
  });
  server.on('error', () => {
    // dropped sockets surface here; the client side is what the tests assert
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  state.port = typeof address === 'object' && address !== null ? address.port : 0;
  return state;
}
