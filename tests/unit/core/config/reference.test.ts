import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigReference, withConfigReference } from '../../../../core/config/reference.ts';

describe('config reference', () => {
  it('README.md carries the reference generated from the schema (run `npm run docs` to update)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(withConfigReference(readme)).toBe(readme);
  });

  it('lists defaults and types from the schema', () => {
    const table = renderConfigReference();
    expect(table).toContain('| `policy.maxAgeDays` | integer | `30` |');
    expect(table).toMatch(/\| `runner\.prune\.retention` \| duration \| `"72h"` \|/);
    expect(table).toMatch(/\| `scan\.clair\.psk` \| secret reference \|/);
  });

  it('gives fields of an object with a default their part of it, and the object description', () => {
    const table = renderConfigReference();
    expect(table).toMatch(
      /\| `runner\.fanout\.resources\.limits\.memory` \| string \| `"256Mi"` \| Requests and limits/,
    );
  });
});
