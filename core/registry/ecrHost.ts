// Which registry hosts are Amazon ECR, and in which region: the private registry of an
// account is `<account>.dkr.ecr.<region>.amazonaws.com`, `.amazonaws.com.cn` in the China
// partition, and `<account>.dkr.ecr-fips.<region>.amazonaws.com` for the FIPS endpoints.
// ECR Public (public.ecr.aws) needs no token for pulls and is not matched.

export interface EcrRegistry {
  /** The host as given (lower case). */
  host: string;
  /** The 12-digit AWS account id owning the registry. */
  account: string;
  region: string;
  /** The registry is reached through a FIPS endpoint, so its token comes from the FIPS API. */
  fips: boolean;
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr(-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(\.cn)?$/;

/** The account and region of an ECR registry host, or undefined when `host` is not one. */
export function parseEcrHost(host: string): EcrRegistry | undefined {
  const lower = host.trim().toLowerCase();
  const match = ECR_HOST.exec(lower);
  if (!match) return undefined;
  const [, account, fips, region] = match;
  if (account === undefined || region === undefined) return undefined;
  return { host: lower, account, region, fips: fips !== undefined };
}
