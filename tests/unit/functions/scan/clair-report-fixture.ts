// A Clair v4 VulnerabilityReport shaped as the matcher returns it (quay/clair
// httptransport openapi + claircore vulnerabilityreport.go): maps keyed by id, packages with a
// nested `source` package, distributions, environments per package, vulnerabilities carrying
// the updater's own `package` pattern (empty version), an OSV vulnerability whose
// fixed_in_version is a URL query string, enrichments keyed by media type, and a vulnerability
// no package links ("not vulnerable": present in `vulnerabilities`, absent from
// `package_vulnerabilities`).

export const MANIFEST = `sha256:${'5'.repeat(64)}`;
const LAYER = `sha256:${'6'.repeat(64)}`;

const debian = {
  id: '1',
  did: 'debian',
  name: 'Debian GNU/Linux',
  version: '12 (bookworm)',
  version_code_name: 'bookworm',
  version_id: '12',
  arch: '',
  cpe: '',
  pretty_name: 'Debian GNU/Linux 12 (bookworm)',
};

export function clairReport(): Record<string, unknown> {
  return {
    manifest_hash: MANIFEST,
    packages: {
      '101': {
        id: '101',
        name: 'libssl3',
        version: '3.0.11-1~deb12u1',
        kind: 'binary',
        source: { id: '100', name: 'openssl', version: '3.0.11-1~deb12u1', kind: 'source', source: null },
        normalized_version: '',
        arch: 'amd64',
        module: '',
        cpe: '',
      },
      '102': {
        id: '102',
        name: 'zlib1g',
        version: '1:1.2.13.dfsg-1',
        kind: 'binary',
        source: { id: '103', name: 'zlib', version: '1:1.2.13.dfsg-1', kind: 'source', source: null },
        arch: 'amd64',
      },
      '201': {
        id: '201',
        name: 'urllib3',
        version: '1.26.5',
        kind: 'binary',
        source: null,
        normalized_version: 'pep440:1.26.5.0.0.0.0.0.0',
        repository_hint: '',
      },
      '202': { id: '202', name: 'requests', version: '2.25.0', kind: 'binary', source: null },
      '203': { id: '203', name: 'jinja2', version: '3.1.2', kind: 'binary', source: null },
    },
    distributions: { '1': debian },
    repository: {
      '7': { id: '7', name: 'pypi', key: '', uri: 'https://pypi.org/simple', cpe: '' },
    },
    environments: {
      '101': [
        {
          package_db: 'var/lib/dpkg/status',
          introduced_in: LAYER,
          distribution_id: '1',
          repository_ids: null,
        },
      ],
      '102': [
        {
          package_db: 'var/lib/dpkg/status',
          introduced_in: LAYER,
          distribution_id: '1',
          repository_ids: null,
        },
      ],
      '201': [
        {
          package_db: 'usr/lib/python3/dist-packages/urllib3-1.26.5.dist-info/METADATA',
          introduced_in: LAYER,
          distribution_id: '',
          repository_ids: ['7'],
        },
      ],
      '202': [
        { package_db: 'python:opt/app', introduced_in: LAYER, distribution_id: '', repository_ids: ['7'] },
      ],
      '203': [
        { package_db: 'python:opt/app', introduced_in: LAYER, distribution_id: '', repository_ids: ['7'] },
      ],
    },
    vulnerabilities: {
      'd7f6c1c0-0001': {
        id: 'd7f6c1c0-0001',
        updater: 'debian/updater/bookworm',
        name: 'CVE-2024-0727',
        description: 'Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash',
        issued: '2024-01-26T09:15:07Z',
        links: 'https://security-tracker.debian.org/tracker/CVE-2024-0727',
        severity: 'not yet assigned',
        normalized_severity: 'Medium',
        // the updater's pattern: the source package, no version. Never the finding's package.
        package: { id: '', name: 'openssl', version: '', kind: 'binary', source: null },
        distribution: debian,
        repository: null,
        fixed_in_version: '3.0.13-1~deb12u1',
        range: null,
        arch_op: '',
      },
      'd7f6c1c0-0002': {
        id: 'd7f6c1c0-0002',
        updater: 'debian/updater/bookworm',
        name: 'CVE-2023-45853',
        description: 'MiniZip in zlib through 1.3 has an integer overflow',
        issued: '2023-10-14T02:15:09Z',
        links: 'https://security-tracker.debian.org/tracker/CVE-2023-45853',
        severity: '',
        normalized_severity: 'Critical',
        package: { id: '', name: 'zlib', version: '', kind: 'binary', source: null },
        distribution: debian,
        repository: null,
        fixed_in_version: '',
        range: null,
        arch_op: '',
      },
      'a1b2-osv-0003': {
        id: 'a1b2-osv-0003',
        updater: 'osv/pypi',
        name: 'GHSA-v845-jxx5-vc9f',
        description: 'urllib3 Cookie request header is not stripped during cross-origin redirects',
        issued: '2023-10-02T23:29:06Z',
        links:
          'https://github.com/urllib3/urllib3/security/advisories/GHSA-v845-jxx5-vc9f https://nvd.nist.gov/vuln/detail/CVE-2023-43804',
        severity: 'CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:N',
        normalized_severity: 'High',
        package: { id: '', name: 'urllib3', version: '', kind: 'binary', source: null },
        distribution: null,
        repository: { id: '', name: 'pypi', key: '', uri: 'https://pypi.org/simple', cpe: '' },
        fixed_in_version: 'fixed=1.26.17&introduced=0',
        range: null,
        arch_op: '',
      },
      'a1b2-osv-0004': {
        id: 'a1b2-osv-0004',
        updater: 'osv/pypi',
        name: 'PYSEC-2023-74',
        description: 'Requests leaks Proxy-Authorization headers',
        issued: '2023-05-22T20:15:09Z',
        links: 'https://github.com/psf/requests/security/advisories/GHSA-j8r2-6x86-q33q',
        severity: '',
        normalized_severity: 'Medium',
        package: { id: '', name: 'requests', version: '', kind: 'binary', source: null },
        distribution: null,
        repository: { id: '', name: 'pypi', key: '', uri: 'https://pypi.org/simple', cpe: '' },
        fixed_in_version: 'introduced=2.3.0&lastAffected=2.30.0',
        range: null,
        arch_op: '',
      },
      // A match the matcher ruled out (jinja2 3.1.2 is older than the introduced version):
      // listed among the vulnerabilities, linked to no package. Not a finding.
      'a1b2-osv-0005': {
        id: 'a1b2-osv-0005',
        updater: 'osv/pypi',
        name: 'GHSA-h5c8-rqwp-cp95',
        description: 'Jinja vulnerable to HTML attribute injection',
        issued: '2024-01-11T15:20:48Z',
        links: 'https://github.com/pallets/jinja/security/advisories/GHSA-h5c8-rqwp-cp95',
        severity: '',
        normalized_severity: 'Medium',
        package: { id: '', name: 'jinja2', version: '', kind: 'binary', source: null },
        distribution: null,
        repository: null,
        fixed_in_version: 'fixed=3.1.3&introduced=3.1.3rc1',
        range: null,
        arch_op: '',
      },
    },
    package_vulnerabilities: {
      '101': ['d7f6c1c0-0001'],
      '102': ['d7f6c1c0-0002'],
      '201': ['a1b2-osv-0003'],
      '202': ['a1b2-osv-0004'],
    },
    enrichments: {
      'message/vnd.clair.map.vulnerability; enricher=clair.cvss schema=https://csrc.nist.gov/schema/nvd/feed/1.1/cvss-v3.x.json':
        [
          {
            'd7f6c1c0-0001': [
              {
                version: '3.1',
                vectorString: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H',
                baseScore: 5.5,
                baseSeverity: 'MEDIUM',
              },
            ],
          },
        ],
    },
  };
}
