import { CronExpressionParser } from 'cron-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkScheduleExpression,
  ScheduleExpressionError,
  toEventBridgeCron,
} from '../../../../core/schedule/eventbridge-cron.ts';

describe('toEventBridgeCron', () => {
  it.each([
    ['0 * * * *', 'cron(0 * * * ? *)'],
    ['*/15 * * * *', 'cron(*/15 * * * ? *)'],
    ['0 6 * * 1-5', 'cron(0 6 ? * 2-6 *)'],
    ['0 6 * * 0', 'cron(0 6 ? * 1 *)'],
    ['0 6 * * 7', 'cron(0 6 ? * 1 *)'],
    ['0 6 * * 5-7', 'cron(0 6 ? * 6-7,1 *)'],
    ['0 6 * * MON-FRI', 'cron(0 6 ? * MON-FRI *)'],
    ['0 6 * * sun', 'cron(0 6 ? * SUN *)'],
    ['0 6 * * 5L', 'cron(0 6 ? * 6L *)'],
    ['0 6 * * 1#2', 'cron(0 6 ? * 2#2 *)'],
    ['30 2 1 * *', 'cron(30 2 1 * ? *)'],
    ['30 2 L * *', 'cron(30 2 L * ? *)'],
    ['0 0 1 jan *', 'cron(0 0 1 JAN ? *)'],
    ['0 6 ? * 1', 'cron(0 6 ? * 2 *)'],
  ])('converts %s to %s', (input, expected) => {
    // Act
    const result = toEventBridgeCron(input);

    // Assess
    expect(result).toBe(expected);
    expect(checkScheduleExpression(result)).toEqual([]);
  });

  it.each([
    ['@daily', 'cron(0 0 * * ? *)'],
    ['@hourly', 'cron(0 * * * ? *)'],
    ['@weekly', 'cron(0 0 ? * 1 *)'],
    ['@monthly', 'cron(0 0 1 * ? *)'],
    ['@yearly', 'cron(0 0 1 1 ? *)'],
  ])('expands the macro %s', (input, expected) => {
    expect(toEventBridgeCron(input)).toBe(expected);
  });

  it.each([
    ['@reboot', /macro @reboot/],
    ['0 0 * * * *', /expected 5 fields .* got 6/],
    ['0 6 *', /expected 5 fields .* got 3/],
    ['61 * * * *', /61/],
    ['0 6 1 * 1', /day-of-month "1" and day-of-week "1" are both set/],
    ['0 6 * * 1/2', /day-of-week: EventBridge does not allow "\/"/],
    ['0 6 15W * *', /15W/],
    ['H * * * *', /minute: "H"/],
    ['0 6 * * 8', /8/],
  ])('rejects %s naming the problem', (input, message) => {
    // Act
    const act = () => toEventBridgeCron(input);

    // Assess
    expect(act).toThrow(ScheduleExpressionError);
    expect(act).toThrow(message);
  });

  it('fires on the same weekdays as the crontab expression it came from', () => {
    // Prepare: any numeric day-of-week list, checked against cron-parser over two weeks
    // (Sunday written as 0 or 7; cron-parser refuses both at once as a duplicate.)
    const days = fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 });
    fc.assert(
      fc.property(days, fc.boolean(), (list, sundayAsSeven) => {
        const crontab = `0 12 * * ${list.map((d) => (d === 0 && sundayAsSeven ? 7 : d)).join(',')}`;

        // Act
        const converted = toEventBridgeCron(crontab);

        // Assess: EventBridge days 1-7 (SUN-SAT) map back to JS getUTCDay() + 1
        const dowField = /^cron\(\S+ \S+ \S+ \S+ (\S+) \*\)$/.exec(converted)?.[1] ?? '';
        const ebDays = new Set(
          dowField.split(',').flatMap((part) => {
            const [from, to] = part.split('-').map(Number) as [number, number | undefined];
            return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
          }),
        );
        const it = CronExpressionParser.parse(crontab, { currentDate: '2026-01-01T00:00:00Z', tz: 'UTC' });
        const fired = new Set<number>();
        for (let i = 0; i < 14; i++) {
          const next = it.next().toDate();
          if (next.getTime() > Date.parse('2026-01-15T00:00:00Z')) break;
          fired.add(next.getUTCDay() + 1);
        }
        expect(ebDays).toEqual(fired);
      }),
    );
  });
});

describe('checkScheduleExpression', () => {
  it.each([
    'cron(0 6 ? * MON-FRI *)',
    'cron(0/5 * * * ? *)',
    'cron(0 3 1 * ? 2026-2030)',
    'rate(1 hour)',
    'rate(15 minutes)',
    'at(2026-12-01T06:00:00)',
  ])('accepts %s', (expression) => {
    expect(checkScheduleExpression(expression)).toEqual([]);
  });

  it.each([
    ['cron(0 6 * * * *)', /exactly one of day-of-month and day-of-week/],
    ['cron(0 6 ? * ? *)', /exactly one of day-of-month and day-of-week/],
    ['cron(0 6 ? * 1/2 *)', /day-of-week: "\/" is not allowed/],
    ['cron(0 6 ? * 0 *)', /numbers run 1-7/],
    ['cron(0 6 * * ?)', /expected 6 fields/],
    ['cron(0 25 * * ? *)', /25/],
    ['cron(0 6 * * ? 26)', /year/],
    ['rate(1 hours)', /singular/],
    ['rate(5 minute)', /plural/],
    ['0 6 * * *', /expected cron/],
  ])('rejects %s', (expression, message) => {
    // Act
    const problems = checkScheduleExpression(expression);

    // Assess
    expect(problems.join('\n')).toMatch(message);
  });
});
