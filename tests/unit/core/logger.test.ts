import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '../../../core/logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } };
}

describe('createLogger', () => {
  it('writes JSON lines with persistent keys', () => {
    const { lines, destination } = capture();
    const log = createLogger({ bindings: { component: 'runner', runId: 'r1' }, destination });
    log.info({ image: 'nginx' }, 'pulled');
    expect(lines[0]).toMatchObject({
      level: 'info',
      component: 'runner',
      runId: 'r1',
      image: 'nginx',
      msg: 'pulled',
    });
  });

  it('redacts credentials wherever callers put them', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination });
    log.warn(
      {
        password: 'p1',
        registry: { auth: 'dXNlcjpwYXNz', token: 't1' },
        headers: { authorization: 'Bearer abc' },
        request: { headers: { Authorization: 'Basic xyz' } },
      },
      'login failed',
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ['p1', 'dXNlcjpwYXNz', 't1', 'Bearer abc', 'Basic xyz'])
      expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('masks credentials in URLs', () => {
    expect(redactUrl('https://user:pass@registry.example/v2/')).toBe(
      'https://[redacted]@registry.example/v2/',
    );
    expect(redactUrl('https://registry.example/v2/')).toBe('https://registry.example/v2/');
  });
});
