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
  /**
   * After this many accepted messages, read the next message's DATA in full and never answer
   * (a server that hangs after the final dot): the client cannot know whether it was accepted.
   */
  stallAfter?: number;
}

export interface SmtpServerOptions {
  /** Require AUTH PLAIN/LOGIN with exactly this user and password (others get 535). */
  auth?: { user: string; pass: string };
  /** A careless server: its 535 reply quotes the credentials it refused. */
  quoteCredentials?: boolean;
}

export interface ReceivedMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

export interface SmtpTestServer {
  host: string;
  port: number;
  received: ReceivedMessage[];
  /** Messages whose DATA arrived complete but were never answered (stallAfter). */
  stalled: ReceivedMessage[];
  /** Resolves when the first message stalls. */
  firstStall: Promise<void>;
  /** Every MAIL FROM the server saw, refused or not. */
  attempts: number;
  setFailures(failures: SmtpFailures): void;
  parsed(): Promise<ParsedMail[]>;
  stop(): Promise<void>;
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startSmtpServer(
  initial: SmtpFailures = {},
  options: SmtpServerOptions = {},
): Promise<SmtpTestServer> {
  let failures = initial;
  let stalledOnce: () => void = () => undefined;
  const state: SmtpTestServer = {
    host: '127.0.0.1',
    port: 0,
    received: [],
    stalled: [],
    firstStall: new Promise<void>((resolve) => {
      stalledOnce = resolve;
    }),
    attempts: 0,
    setFailures: (next) => {
      failures = next;
    },
    parsed: () => Promise.all(state.received.map((m) => simpleParser(m.raw))),
    stop: async () => {
      // stalled sessions would keep close() waiting
      for (const connection of server.connections) connection._socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: SMTPServer = new SMTPServer({
    authOptional: options.auth === undefined,
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    logger: false,
    size: 10 * 1024 * 1024,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        callback(null, { user: auth.username });
        return;
      }
      const quoted = options.quoteCredentials ? ` (${auth.username}/${auth.password})` : '';
      callback(smtpError(535, `5.7.8 Authentication credentials invalid${quoted}`));
    },
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
        const message = {
          envelope: { from, to: session.envelope.rcptTo.map((r) => r.address) },
          raw: Buffer.concat(chunks),
        };
        if (failures.stallAfter !== undefined && state.received.length >= failures.stallAfter) {
          // never answered: the client waits for a reply that does not come
          state.stalled.push(message);
          stalledOnce();
          return;
        }
        state.received.push(message);
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
