// Regenerates README.md's config reference from the schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigReference } from '../core/config/reference.ts';

const readme = readFileSync('README.md', 'utf8');
const next = withConfigReference(readme);
if (next !== readme) writeFileSync('README.md', next);
process.stdout.write(
  next === readme ? 'README.md config reference is up to date\n' : 'README.md config reference updated\n',
);
