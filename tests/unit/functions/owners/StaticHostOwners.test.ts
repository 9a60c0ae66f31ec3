import { describe, expect, it } from 'vitest';
import { lookupHostOwners } from '../../../../functions/owners/HostOwnerDirectory.ts';
import { StaticHostOwners } from '../../../../functions/owners/StaticHostOwners.ts';

describe('StaticHostOwners', () => {
  const directory = new StaticHostOwners({
    'db-?.example.org': 'dba@example.org',
    'web*.example.org': 'web@example.org',
    '*': 'ops@example.org',
  });

  it('matches globs case-insensitively, first glob in file order wins', async () => {
    // Act
    const owners = await directory.lookup(['DB-1.example.org', 'web07.example.org', 'db-12.example.org']);
    // Assess
    expect(owners.get('DB-1.example.org')).toEqual({
      address: 'dba@example.org',
      detail: 'host glob db-?.example.org',
    });
    expect(owners.get('web07.example.org')?.address).toBe('web@example.org');
    expect(owners.get('db-12.example.org')).toEqual({ address: 'ops@example.org', detail: 'host glob *' });
  });

  it('treats dots literally, not as regular expression wildcards', async () => {
    // Prepare
    const strict = new StaticHostOwners({ 'web1.example.org': 'web@example.org' });
    // Act
    const owners = await strict.lookup(['web1xexample.org']);
    // Assess
    expect(owners.size).toBe(0);
  });
});

describe('lookupHostOwners', () => {
  it('asks the next directory only for hosts still unknown and reports a failing directory', async () => {
    // Prepare
    const asked: string[][] = [];
    const failing = {
      name: 'nivlheim',
      lookup: async (hosts: readonly string[]) => {
        asked.push([...hosts]);
        throw new Error('HTTP 503');
      },
    };
    const first = new StaticHostOwners({ 'a*': 'a@example.org' });
    // Act
    const { owners, errors } = await lookupHostOwners([first, failing], ['a1', 'b1']);
    // Assess
    expect(owners.get('a1')?.address).toBe('a@example.org');
    expect(asked).toEqual([['b1']]);
    expect(errors).toEqual([{ directory: 'nivlheim', error: new Error('HTTP 503') }]);
  });
});
