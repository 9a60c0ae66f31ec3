import { describe, expect, it } from 'vitest';
import { parseEcrHost } from '../../../../core/registry/ecrHost.ts';

describe('parseEcrHost', () => {
  it('reads account and region of the commercial, China and FIPS forms', () => {
    expect(parseEcrHost('123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toEqual({
      host: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      account: '123456789012',
      region: 'eu-west-1',
      fips: false,
    });
    expect(parseEcrHost('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn')).toMatchObject({
      region: 'cn-north-1',
      fips: false,
    });
    expect(parseEcrHost('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com')).toMatchObject({
      region: 'us-gov-west-1',
      fips: true,
    });
    expect(parseEcrHost('123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM')?.region).toBe('us-east-1');
  });

  it('does not take other hosts for ECR', () => {
    for (const host of [
      'public.ecr.aws',
      'docker.io',
      '12345.dkr.ecr.eu-west-1.amazonaws.com',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example',
      'evil123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com:443',
      '127.0.0.1:5000',
    ]) {
      expect(parseEcrHost(host), host).toBeUndefined();
    }
  });
});
