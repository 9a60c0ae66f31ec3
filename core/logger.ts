// The one structured logger: pino JSON lines with persistent keys (component, run id) and
// redaction of credentials, so callers never have to remember to mask secrets themselves:
// by value (every secret registered in core/redact.ts is replaced in each finished line), by
// field name (below), and errors through one serializer that drops request headers. Lines
// are also made inert for a terminal (core/terminal-text.ts).
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';
import { redactText, registerSecret, registerUrlCredentials, serializeError } from './redact.ts';
import { escapeTerminal } from './terminal-text.ts';

export { registerSecret, registerUrlCredentials };

export type Logger = PinoLogger;

/**
 * Keys whose values are replaced by "[redacted]" wherever they appear (two levels deep). Not
 * `key`: record keys are what many warnings exist to report.
 */
export const REDACTED_KEYS = [
  'password',
  'pass',
  'token',
  'accessToken',
  'access_token',
  'apiKey',
  'api_key',
  'secret',
  'authorization',
  'Authorization',
  'auth',
  'psk',
  'cookie',
  'credentials',
  'hmacKey',
] as const;

const REDACT_PATHS = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `headers.${k}`]);

export interface LoggerOptions {
  level?: string;
  /** Persistent keys added to every line, e.g. `{ component: 'runner', runId }`. */
  bindings?: Record<string, unknown>;
  /** Where lines go; stderr by default so stdout stays free for command output. */
  destination?: DestinationStream;
}

/** Wraps a destination so every line leaves with secrets replaced and nothing a terminal obeys. */
function sanitizing(inner: DestinationStream): DestinationStream {
  return { write: (line: string) => inner.write(escapeTerminal(redactText(line))) };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = sanitizing(options.destination ?? pino.destination({ fd: 2, sync: true }));
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError, error: serializeError, cause: serializeError },
    },
    destination,
  );
  return options.bindings ? logger.child(options.bindings) : logger;
}

/** A logger that drops everything; for tests and library callers that do not care. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Masks credentials embedded in URLs (`https://user:pass@host`) before they reach a log or
 * report, and registers them so they are redacted wherever else they show up.
 */
export function redactUrl(url: string): string {
  return registerUrlCredentials(url);
}
