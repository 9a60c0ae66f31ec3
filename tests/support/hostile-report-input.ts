// A small fleet, config and exported Clair reports full of hostile strings (markup, control
// characters, bidi overrides, very long names), for tests that the report page renders them
// inert. Strings that the inventory rejects (bad image references, owner labels with CR/LF)
// are in here too: the point is what survives validation and reaches the page.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Strings that must never be live markup in the page. */
export const HOSTILE = {
  script: '<script>alert("iw-script")</script>',
  img: '<img src=x onerror=alert("iw-img")>',
  bidi: 'evil\u202Egpj.exe\u202C',
  control: 'bell\u0007esc\u001b[31mred\u0000nul',
  style: '</style><style>body{display:none}</style>',
} as const;

// a valid reference whose repository is ~240 characters (the limit is 255)
const LONG_REPO = `harbor.example.org/${Array.from({ length: 10 }, (_, i) => `very-long-team-name-${i}`).join('/')}`;
const LONG_TAG = `release-${'x'.repeat(100)}`;

interface HostileImage {
  image: string;
  tag: string;
  host: string;
  owner: string;
}

const hex = (n: number): string => n.toString(16).repeat(64).slice(0, 64);

const IMAGES: HostileImage[] = [
  {
    image: `${LONG_REPO}:${LONG_TAG}`,
    tag: LONG_TAG,
    host: `${'h'.repeat(200)}.example.org`,
    owner: 'long@example.org',
  },
  {
    image: 'harbor.example.org/team/app:1.0',
    tag: '1.0',
    host: `web${HOSTILE.script}.example.org`,
    owner: HOSTILE.img,
  },
  {
    image: 'harbor.example.org/team/worker:2',
    tag: '2',
    host: `w${HOSTILE.bidi}.example.org`,
    owner: `ops@example.org\r\nBcc: ${HOSTILE.control}`,
  },
];

function clairReport(digest: string, i: number): unknown {
  const vulnerability = (id: string, name: string, pkg: string, fixed: string, link: string) => ({
    id,
    updater: 'test',
    name,
    description: `${HOSTILE.script} ${HOSTILE.style}`,
    issued: '2026-10-01T00:00:00Z',
    links: link,
    severity: 'critical',
    normalized_severity: 'Critical',
    package: { id: '', name: pkg, version: '', kind: 'binary' },
    distribution: null,
    repository: null,
    fixed_in_version: fixed,
    range: null,
    arch_op: '',
  });
  const pkgName = [HOSTILE.img, HOSTILE.bidi, `lib${'z'.repeat(180)}`][i] ?? 'pkg';
  return {
    manifest_hash: digest,
    state: 'IndexFinished',
    success: true,
    err: '',
    packages: {
      '1': {
        id: '1',
        name: pkgName,
        version: `1.0${HOSTILE.control}`,
        kind: 'binary',
        normalized_version: '',
        arch: 'amd64',
        module: '',
        cpe: '',
      },
    },
    distributions: {},
    repository: {},
    environments: {
      '1': [
        {
          package_db: 'var/lib/dpkg/status',
          introduced_in: digest,
          distribution_id: '',
          repository_ids: null,
        },
      ],
    },
    vulnerabilities: {
      '11': vulnerability(
        '11',
        `SAMPLE-${HOSTILE.script}`,
        pkgName,
        `2.0${HOSTILE.bidi}`,
        'javascript:alert(1)',
      ),
      '12': vulnerability(
        '12',
        `SAMPLE-2026-${'9'.repeat(150)}`,
        pkgName,
        HOSTILE.style,
        `https://example.invalid/"><script>alert(2)</script>`,
      ),
    },
    package_vulnerabilities: { '1': ['11', '12'] },
    enrichments: {},
  };
}

/** Writes fleet.ndjson, clair-reports/ and imagewarden.yaml under dir; returns the config path. */
export function writeHostileReportInput(dir: string): string {
  const reports = join(dir, 'clair-reports');
  mkdirSync(reports, { recursive: true });
  const lines = IMAGES.map((img, i) => {
    const digest = `sha256:${hex(i + 1)}`;
    writeFileSync(join(reports, `${digest.replace(':', '-')}.json`), JSON.stringify(clairReport(digest, i)));
    return JSON.stringify({
      '@timestamp': '2026-11-24T08:10:00.000Z',
      host: { name: img.host },
      container: {
        id: hex(i + 10),
        name: `c-${HOSTILE.script}`,
        runtime: 'docker',
        image: { name: img.image, tag: [img.tag], hash: { all: [digest] } },
        labels: { owner: img.owner, app: HOSTILE.style },
      },
    });
  });
  writeFileSync(join(dir, 'fleet.ndjson'), `${lines.join('\n')}\n`);
  const config = join(dir, 'imagewarden.yaml');
  writeFileSync(
    config,
    [
      'log: { level: warn }',
      `state: { backend: file, dir: ${JSON.stringify(join(dir, 'state'))} }`,
      `inventory: { source: file, file: ${JSON.stringify(join(dir, 'fleet.ndjson'))} }`,
      'owners: { securityContact: security@example.org }',
      `scan: { reports: { dir: ${JSON.stringify(reports)} }, minSeverity: High, fixableOnly: false }`,
      `notify: { transport: outbox, outboxDir: ${JSON.stringify(join(dir, 'outbox'))} }`,
      '',
    ].join('\n'),
  );
  return config;
}
