import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  familiarString,
  formatImageReference,
  ImageReferenceError,
  parseImageReference,
  tryParseImageReference,
  withDefaultTag,
} from '../../../core/image-reference.ts';

const SHA = `sha256:${'a1'.repeat(32)}`;

describe('parseImageReference: valid references', () => {
  const cases: Array<[string, { domain: string; path: string; tag?: string; digest?: string }]> = [
    ['nginx', { domain: 'docker.io', path: 'library/nginx' }],
    ['nginx:1.27', { domain: 'docker.io', path: 'library/nginx', tag: '1.27' }],
    ['docker.io/nginx', { domain: 'docker.io', path: 'library/nginx' }],
    ['index.docker.io/library/ubuntu:22.04', { domain: 'docker.io', path: 'library/ubuntu', tag: '22.04' }],
    ['bitnami/redis:7', { domain: 'docker.io', path: 'bitnami/redis', tag: '7' }],
    ['localhost/app', { domain: 'localhost', path: 'app' }],
    ['localhost:5000/team/app:v1', { domain: 'localhost:5000', path: 'team/app', tag: 'v1' }],
    [
      'registry.example.com:5000/a/b/c:latest',
      { domain: 'registry.example.com:5000', path: 'a/b/c', tag: 'latest' },
    ],
    ['[::1]:5000/app:dev', { domain: '[::1]:5000', path: 'app', tag: 'dev' }],
    ['[2001:db8::1]/ns/app', { domain: '[2001:db8::1]', path: 'ns/app' }],
    ['10.0.0.7:443/x', { domain: '10.0.0.7:443', path: 'x' }],
    [`harbor.uio.no/usit/app@${SHA}`, { domain: 'harbor.uio.no', path: 'usit/app', digest: SHA }],
    [
      `harbor.uio.no/usit/app:1.0@${SHA}`,
      { domain: 'harbor.uio.no', path: 'usit/app', tag: '1.0', digest: SHA },
    ],
    [
      `app@sha512:${'b'.repeat(128)}`,
      { domain: 'docker.io', path: 'library/app', digest: `sha512:${'b'.repeat(128)}` },
    ],
    ['a/b__c/d-e/f.g:_tag', { domain: 'docker.io', path: 'a/b__c/d-e/f.g', tag: '_tag' }],
    ['a---b:T.a-g_9', { domain: 'docker.io', path: 'library/a---b', tag: 'T.a-g_9' }],
    ['Example.COM/app', { domain: 'Example.COM', path: 'app' }],
  ];
  it.each(cases)('%s', (input, expected) => {
    const ref = parseImageReference(input);
    expect({ domain: ref.domain, path: ref.path, tag: ref.tag, digest: ref.digest }).toEqual({
      tag: undefined,
      digest: undefined,
      ...expected,
    });
    expect(ref.name).toBe(`${expected.domain}/${expected.path}`);
  });
});

describe('parseImageReference: malformed references give a typed error that says what is wrong', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    [' nginx', /whitespace/],
    ['nginx ', /whitespace/],
    ['ngi nx', /whitespace/],
    ['nginx\n', /whitespace/],
    ['ngi\tnx', /whitespace/],
    ['nginx\u0000', /control/],
    ['NGINX', /lowercase/],
    ['docker.io/Library/nginx', /lowercase/],
    ['nginx:', /empty tag/],
    ['nginx:-bad', /invalid tag/],
    ['nginx:.bad', /invalid tag/],
    [`nginx:${'t'.repeat(129)}`, /invalid tag/],
    ['nginx:ta g', /whitespace/],
    ['nginx:tag!', /invalid tag/],
    ['nginx@', /invalid digest/],
    ['nginx@sha256', /invalid digest/],
    ['nginx@sha256:', /invalid digest/],
    ['nginx@sha256:abc', /invalid digest/],
    [`nginx@sha256:${'A'.repeat(64)}`, /lowercase hex/],
    [`nginx@sha256:${'a'.repeat(63)}`, /64 lowercase hex/],
    [`nginx@sha256:${'a'.repeat(65)}`, /64 lowercase hex/],
    [`nginx@sha256:${'g'.repeat(64)}`, /lowercase hex/],
    [`nginx@sha512:${'a'.repeat(64)}`, /128 lowercase hex/],
    [`nginx@SHA256:${'a'.repeat(64)}`, /invalid digest/],
    [`nginx@@sha256:${'a'.repeat(64)}`, /more than one|invalid digest/],
    [`nginx@sha256:${'a'.repeat(64)}@x`, /more than one/],
    ['/nginx', /empty path component/],
    ['nginx/', /empty path component/],
    ['a//b', /empty path component/],
    ['registry.example.com/', /empty path component/],
    ['Registry:5000', /lowercase/],
    [':latest', /no repository/],
    [`@sha256:${'a'.repeat(64)}`, /no repository/],
    ['-nginx', /invalid path component/],
    ['nginx-', /invalid path component/],
    ['ngin..x', /invalid path component/],
    ['a/.b', /invalid path component/],
    ['a/b_', /invalid path component/],
    ['a/b___c', /invalid path component/],
    ['a/b$c', /invalid path component/],
    ['a/ü', /invalid path component/],
    ['-registry.com/app', /invalid registry domain/],
    ['registry-.com/app', /invalid registry domain/],
    ['reg..istry.com/app', /invalid registry domain/],
    ['registry.com:port/app', /invalid port/],
    ['registry.com:99999/app', /invalid port/],
    ['registry.com:/app', /invalid port/],
    ['[::1/app', /IPv6/],
    ['[zz::1]:5000/app', /IPv6/],
    ['[::1]x/app', /invalid domain/],
    [`registry.example.com/${'a'.repeat(250)}`, /over the limit of 255/],
    ['http://registry.example.com/app', /invalid|empty/],
    ['a:b:c', /invalid path component/],
  ];
  it('has more than 50 cases', () => {
    expect(bad.length).toBeGreaterThan(50);
  });
  it.each(bad)('%j', (input, reason) => {
    const result = tryParseImageReference(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(ImageReferenceError);
    expect(result.error.message).toMatch(reason);
    expect(() => parseImageReference(input)).toThrow(ImageReferenceError);
  });
});

describe('formatting', () => {
  it('writes the canonical and the familiar form', () => {
    const ref = parseImageReference(`nginx:1.27@${SHA}`);
    expect(formatImageReference(ref)).toBe(`docker.io/library/nginx:1.27@${SHA}`);
    expect(familiarString(ref)).toBe(`nginx:1.27@${SHA}`);
    expect(familiarString(parseImageReference('bitnami/redis'))).toBe('bitnami/redis');
    expect(familiarString(parseImageReference('localhost:5000/app:1'))).toBe('localhost:5000/app:1');
  });
  it('adds latest only when there is neither tag nor digest', () => {
    expect(withDefaultTag(parseImageReference('nginx')).tag).toBe('latest');
    expect(withDefaultTag(parseImageReference(`nginx@${SHA}`)).tag).toBeUndefined();
  });
});

// Generators for the grammar, used by the property tests.
const alnum = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'),
  minLength: 1,
  maxLength: 6,
});
const separator = fc.constantFrom('.', '_', '__', '-', '--');
const component = fc
  .tuple(alnum, fc.array(fc.tuple(separator, alnum), { maxLength: 2 }))
  .map(([head, rest]) => head + rest.map(([s, a]) => s + a).join(''));
const domain = fc.oneof(
  fc.constant('localhost'),
  fc.constant('localhost:5000'),
  fc.constant('[::1]:5000'),
  fc.tuple(alnum, alnum).map(([a, b]) => `${a}.${b}`),
  fc.tuple(alnum, alnum, fc.integer({ min: 1, max: 65535 })).map(([a, b, p]) => `${a}.${b}:${p}`),
);
const tag = fc
  .tuple(
    fc.constantFrom(...'abcXYZ019_'),
    fc.string({ unit: fc.constantFrom(...'abcXYZ019_.-'), maxLength: 10 }),
  )
  .map(([h, t]) => h + t);
const digest = fc
  .string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 })
  .map((h) => `sha256:${h}`);
// Without a domain, a first component holding a "." would itself read as a domain (as in Docker).
const reference = fc
  .tuple(
    fc.option(domain),
    fc.array(component, { minLength: 1, maxLength: 3 }),
    fc.option(tag),
    fc.option(digest),
  )
  .filter(([d, path]) => d !== null || path.length === 1 || !(path[0] as string).includes('.'))
  .map(
    ([d, path, t, dg]) =>
      `${d !== null ? `${d}/` : ''}${path.join('/')}${t !== null ? `:${t}` : ''}${dg !== null ? `@${dg}` : ''}`,
  );

describe('properties', () => {
  it('format(parse(x)) is stable: parsing the canonical form gives the same reference', () => {
    fc.assert(
      fc.property(reference, (input) => {
        const once = parseImageReference(input);
        const canonical = formatImageReference(once);
        const twice = parseImageReference(canonical);
        expect(twice).toEqual(once);
        expect(formatImageReference(twice)).toBe(canonical);
      }),
      { numRuns: 500 },
    );
  });

  it('normalisation is idempotent, and the familiar form parses back to the same reference', () => {
    fc.assert(
      fc.property(reference, (input) => {
        const ref = parseImageReference(input);
        expect(parseImageReference(familiarString(ref))).toEqual(ref);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but ImageReferenceError on arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          reference.map((r) => `${r}!`),
        ),
        (input) => {
          try {
            parseImageReference(input);
          } catch (error) {
            expect(error).toBeInstanceOf(ImageReferenceError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
