// Converting standard 5-field cron expressions (what people write in config and crontab) to
// EventBridge Scheduler's `cron(min hour day-of-month month day-of-week year)`, and checking
// EventBridge schedule expressions (what terraform passes to aws_scheduler_schedule).
// EventBridge cron is not crontab: day-of-week is 1-7 = SUN-SAT, one day field must be `?`,
// no `/` in day-of-week, and a sixth (year) field. See shared/facts/aws-deploy.md.
import { CronExpressionParser } from 'cron-parser';
import { ValidationError } from '../errors.ts';

/** Thrown when a cron or schedule expression cannot be used; the message names the bad field. */
export class ScheduleExpressionError extends ValidationError {
  override name = 'ScheduleExpressionError';
}

const FIELD_NAMES = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;

/** Macros with one fixed meaning; `@reboot` has none on a schedule and is rejected. */
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

// What EventBridge accepts per field (its documented wildcards), checked after cron-parser
// has validated ranges, so cron-parser-only extensions (`H`, `?` placement) cannot slip through.
const MONTH_NAMES = 'JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC';
const DAY_NAMES = 'SUN|MON|TUE|WED|THU|FRI|SAT';
const CHARSETS: Record<(typeof FIELD_NAMES)[number], RegExp> = {
  minute: /^[0-9,\-*/]+$/,
  hour: /^[0-9,\-*/]+$/,
  'day-of-month': /^([0-9,\-*/]+|L|LW|[0-9]{1,2}W)$/,
  month: new RegExp(`^([0-9,\\-*/]|${MONTH_NAMES})+$`, 'i'),
  'day-of-week': new RegExp(`^([0-9,\\-*#L]|${DAY_NAMES})+$`, 'i'),
};

function fail(expr: string, message: string): never {
  throw new ScheduleExpressionError(`cron ${JSON.stringify(expr)}`, message);
}

const isWild = (field: string): boolean => field === '*' || field === '?';

/** Sunday-based crontab day (0-7) to EventBridge day (1-7). */
const shiftDay = (day: number): number => (day === 7 ? 1 : day + 1);

/** Shifts every numeric day-of-week in a list; names, `L` and `#n` suffixes are kept as they are. */
function convertDayOfWeek(expr: string, field: string): string {
  const parts = field.split(',').flatMap((part): string[] => {
    const range = /^(\d)-(\d)$/.exec(part);
    if (range) {
      const from = Number(range[1]);
      const to = Number(range[2]);
      if (from > to) fail(expr, `day-of-week: range "${part}" runs backwards`);
      // A range ending on 7 (Sunday) cannot stay one range once Sunday becomes 1.
      if (to === 7) return from === 7 ? ['1'] : [`${shiftDay(from)}-7`, '1'];
      return [`${shiftDay(from)}-${shiftDay(to)}`];
    }
    const single = /^(\d)(L|#\d)?$/.exec(part);
    if (single) return [`${shiftDay(Number(single[1]))}${single[2] ?? ''}`];
    if (/\d/.test(part) && /[A-Za-z]{3}/.test(part))
      fail(expr, `day-of-week: mix names or numbers in one range, not both ("${part}")`);
    return [part.toUpperCase()];
  });
  return [...new Set(parts)].join(',');
}

/**
 * Converts a standard 5-field cron expression (or an `@macro` other than `@reboot`) to an
 * EventBridge `cron(...)` schedule expression, e.g. `0 6 * * 1-5` -> `cron(0 6 ? * 2-6 *)`.
 * Throws ScheduleExpressionError naming the field when the expression is invalid or has no
 * EventBridge equivalent (both day fields set: crontab ORs them, EventBridge cannot).
 */
export function toEventBridgeCron(input: string): string {
  const expr = input.trim();
  let fiveField = expr;
  if (expr.startsWith('@')) {
    const expanded = MACROS[expr.toLowerCase()];
    if (expanded === undefined) fail(expr, `macro ${expr} has no schedule equivalent; write the 5 fields`);
    fiveField = expanded;
  }
  const fields = fiveField.split(/\s+/);
  if (fields.length !== 5) {
    fail(expr, `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`);
  }
  try {
    // Five fields only: cron-parser would read six as seconds-first.
    CronExpressionParser.parse(fiveField);
  } catch (error) {
    throw new ScheduleExpressionError(`cron ${JSON.stringify(expr)}`, (error as Error).message, {
      cause: error,
    });
  }
  if (fields[4]?.includes('/')) {
    fail(expr, `day-of-week: EventBridge does not allow "/" in day-of-week, got "${fields[4]}"`);
  }
  fields.forEach((field, i) => {
    const name = FIELD_NAMES[i] as (typeof FIELD_NAMES)[number];
    if (
      !(field === '?' && (name === 'day-of-month' || name === 'day-of-week')) &&
      !CHARSETS[name].test(field)
    ) {
      fail(expr, `${name}: "${field}" uses syntax EventBridge does not support`);
    }
  });
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  if (!isWild(dom) && !isWild(dow)) {
    fail(
      expr,
      `day-of-month "${dom}" and day-of-week "${dow}" are both set; crontab runs on either, ` +
        'EventBridge needs one of them to be "?": use two schedules',
    );
  }
  const ebDom = isWild(dom) && !isWild(dow) ? '?' : isWild(dom) ? '*' : dom;
  const ebDow = isWild(dow) ? '?' : convertDayOfWeek(expr, dow);
  return `cron(${minute} ${hour} ${ebDom} ${month.toUpperCase()} ${ebDow} *)`;
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const AT = /^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$/;

/** EventBridge day (1-7, SUN-SAT) back to crontab (0-6), for validating with cron-parser. */
function dayOfWeekToCrontab(field: string): string {
  // The week number after `#` is not a day and stays as it is.
  return field.replace(/(?<!#)\d/g, (d) => String(Number(d) - 1));
}

/**
 * Checks an EventBridge Scheduler expression (`cron(...)`, `rate(...)` or `at(...)`) and returns
 * the problems found (empty when valid). Used on terraform's schedule variables.
 */
export function checkScheduleExpression(expression: string): string[] {
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] as string;
    if (value < 1) return [`${expression}: rate must be at least 1`];
    if (value === 1 && unit.endsWith('s')) return [`${expression}: use the singular unit for a value of 1`];
    if (value > 1 && !unit.endsWith('s')) return [`${expression}: use the plural unit for values above 1`];
    return [];
  }
  if (AT.test(expression)) return [];
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return [`${JSON.stringify(expression)}: expected cron(...), rate(...) or at(...)`];
  const fields = (cron[1] as string).trim().split(/\s+/);
  if (fields.length !== 6) {
    return [
      `${expression}: expected 6 fields (minute hour day-of-month month day-of-week year), got ${fields.length}`,
    ];
  }
  const [minute, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  const problems: string[] = [];
  if ((dom === '?') === (dow === '?'))
    problems.push(`${expression}: exactly one of day-of-month and day-of-week must be "?"`);
  if (dow.includes('/')) problems.push(`${expression}: day-of-week: "/" is not allowed`);
  if (dow !== '?' && /\d/.test(dow) && /(^|[^#\d])([089]|\d\d)/.test(dow)) {
    problems.push(`${expression}: day-of-week: numbers run 1-7 (SUN-SAT)`);
  }
  if (!/^(\*|\d{4}(-\d{4})?(,\d{4}(-\d{4})?)*|\d{4}\/\d+)$/.test(year))
    problems.push(`${expression}: year: "${year}" is not a year`);
  if (problems.length > 0) return problems;
  const five = [
    minute,
    hour,
    dom === '?' ? '*' : dom,
    month,
    dow === '?' ? '*' : dayOfWeekToCrontab(dow),
  ].join(' ');
  try {
    CronExpressionParser.parse(five);
  } catch (error) {
    problems.push(`${expression}: ${(error as Error).message}`);
  }
  return problems;
}
