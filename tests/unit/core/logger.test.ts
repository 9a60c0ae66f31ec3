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

describe('redaction by value', () => {
  it('keeps record keys, and replaces a registered secret wherever it appears, nested causes too', async () => {
    // Prepare
    const { registerSecret, clearSecrets } = await import('../../../core/redact.ts');
    const { lines, destination } = capture();
    const log = createLogger({ destination });
    registerSecret('s3cr3t-value-42');

    // Act
    log.warn({ key: 'vuln|repo|pkg', note: 'value s3cr3t-value-42 seen' }, 'record s3cr3t-value-42');
    log.error(
      {
        err: new Error('outer', {
          cause: Object.assign(new Error('inner s3cr3t-value-42'), {
            meta: { headers: { authorization: 'ApiKey abc' }, statusCode: 401 },
          }),
        }),
      },
      'failed',
    );
    clearSecrets();

    // Assess
    const text = JSON.stringify(lines);
    expect(lines[0]).toMatchObject({ key: 'vuln|repo|pkg' });
    expect(text).not.toContain('s3cr3t-value-42');
    expect(text).not.toContain('ApiKey abc');
    expect(text).toContain('"statusCode":401');
    expect(text).toContain('outer');
  });

  it('masks URL credentials in any line and redacts the password where it appears alone later', () => {
    // Prepare
    const { lines, destination } = capture();
    const log = createLogger({ destination });

    // Act
    log.info({ target: 'http://clair:pw-in-url-77@clair:6060/' }, 'calling');
    log.info('server said pw-in-url-77 is wrong');

    // Assess
    const text = JSON.stringify(lines);
    expect(text).toContain('http://[redacted]@clair:6060/');
    expect(text).not.toContain('pw-in-url-77');
  });
});
