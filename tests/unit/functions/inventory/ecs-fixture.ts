// Container documents shaped as ECS 8.x shippers index them (Metricbeat docker module /
// add_docker_metadata): `container.image.hash.all` a list of digests in the runtime's order,
// `container.image.name` as the runtime knows it (so one image under several names), tags as a
// keyword list, dedotted label keys, one document per container per report.

export const AS_OF = new Date('2026-11-24T12:00:00Z');
export const LOOKBACK_MS = 2 * 3_600_000;

const d = (c: string): string => `sha256:${c.repeat(64)}`;
/** nginx: listed first in every document, and sorting after its alias, so "first" is not "least". */
export const NGINX = d('f');
export const NGINX_ALIAS = d('1');
/** redis: two digests that never all appear together in one document. */
export const REDIS = d('2');
export const REDIS_ALIAS = d('3');
/** app: an invalid value first in the list; the first valid digest keys the image. */
export const APP = d('a');
export const APP_ALIAS = d('b');

const authors = 'Platform Team <platform@corp.example>, Ops <ops@corp.example>';

function doc(
  at: string,
  host: string,
  container: string,
  image: string,
  digests: string[] | undefined,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    '@timestamp': at,
    agent: { type: 'metricbeat', version: '8.15.0' },
    ecs: { version: '8.11.0' },
    event: { dataset: 'docker.container', module: 'docker' },
    host: { name: host, hostname: host, os: { family: 'redhat' } },
    container: {
      id: container,
      name: `k8s_${container}`,
      runtime: 'docker',
      image: { name: image, ...(digests ? { hash: { all: digests } } : {}), ...extra },
      labels: { org_opencontainers_image_authors: authors },
    },
  };
}

export function ecsDocuments(): Record<string, unknown>[] {
  const t1 = '2026-11-24T10:30:00.000Z';
  const t2 = '2026-11-24T11:30:00.000Z';
  return [
    // nginx under three names, container c1 reported twice, one host reporting only the alias
    doc(t1, 'web-a.corp.example', 'c1', 'nginx', [NGINX, NGINX_ALIAS], { tag: ['1.27'] }),
    doc(t2, 'web-a.corp.example', 'c1', 'nginx', [NGINX, NGINX_ALIAS], { tag: ['1.27'] }),
    doc(t1, 'web-b.corp.example', 'c2', 'docker.io/library/nginx', [NGINX, NGINX_ALIAS]),
    doc(t2, 'web-a.corp.example', 'c3', 'docker.io/library/nginx:1.27', [NGINX, NGINX_ALIAS]),
    doc(t2, 'web-c.corp.example', 'c4', 'nginx', [NGINX_ALIAS]),
    // redis: {R, R'}, {R}, {R'}: no one digest's documents hold every document of the image
    doc(t1, 'db-d.corp.example', 'c5', 'redis:7', [REDIS, REDIS_ALIAS]),
    doc(t1, 'db-e.corp.example', 'c6', 'redis:7', [REDIS]),
    doc(t2, 'db-f.corp.example', 'c7', 'docker.io/library/redis:7', [REDIS_ALIAS]),
    // app: an invalid digest value first
    doc(t2, 'app-g.corp.example', 'c8', 'harbor.corp.example/team/app:3.2', ['sha256:12ab', APP, APP_ALIAS]),
    // a tag-only image: no digest at all
    doc(t2, 'app-g.corp.example', 'c9', 'harbor.corp.example/team/api:2.1', undefined),
    // outside the window: before it, and after it
    doc('2026-11-24T08:00:00.000Z', 'old-h.corp.example', 'c10', 'nginx', [NGINX]),
    doc('2026-11-24T12:30:00.000Z', 'web-a.corp.example', 'c11', 'nginx', [NGINX]),
  ];
}
