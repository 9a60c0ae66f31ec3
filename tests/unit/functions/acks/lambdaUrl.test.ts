import { describe, expect, it } from 'vitest';
import { FunctionUrlEvent, toAckRequest, toFunctionUrlResult } from '../../../../functions/acks/lambdaUrl.ts';

function event(over: Record<string, unknown>) {
  return FunctionUrlEvent.parse({ requestContext: { http: { method: 'GET' } }, ...over });
}

describe('ack handler behind a Lambda function URL', () => {
  it('reads the token from the query string on GET', () => {
    const request = toAckRequest(event({ rawPath: '/ack', rawQueryString: 't=abc.def' }));

    expect('params' in request && request.params.get('t')).toBe('abc.def');
  });

  it('merges a base64-encoded form body on POST', () => {
    const body = Buffer.from('t=abc.def&reason=fine&days=10').toString('base64');

    const request = toAckRequest(
      event({ rawPath: '/ack', body, isBase64Encoded: true, requestContext: { http: { method: 'POST' } } }),
    );

    expect('params' in request && Object.fromEntries(request.params)).toEqual({
      t: 'abc.def',
      reason: 'fine',
      days: '10',
    });
  });

  it('answers 404 off the ack path and 413 for a large body', () => {
    expect(toAckRequest(event({ rawPath: '/other' }))).toEqual({ status: 404 });
    expect(
      toAckRequest(
        event({ rawPath: '/ack', body: 'x'.repeat(20_000), requestContext: { http: { method: 'POST' } } }),
      ),
    ).toEqual({ status: 413 });
  });

  it('maps the response', () => {
    expect(toFunctionUrlResult({ status: 200, headers: { a: 'b' }, body: 'ok' })).toEqual({
      statusCode: 200,
      headers: { a: 'b' },
      body: 'ok',
    });
  });
});
