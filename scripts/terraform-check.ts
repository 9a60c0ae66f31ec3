// `npm run -s terraform:check [DIR]` (default terraform/): checks every module under DIR
// against the committed provider schemas (scripts/terraform/check.ts) and prints each problem
// as `file:line: message`; exit status 1 when there is any.
import { checkTerraform, formatProblem, moduleDirs } from './terraform/check.ts';
import { loadProviderSchemas } from './terraform/schema.ts';

const root = process.argv[2] ?? 'terraform';
const providers = loadProviderSchemas();
const problems = await checkTerraform(root, providers);
for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
const versions = [...providers.values()].map((p) => `${p.source} ${p.version}`).join(', ');
const summary = `terraform:check ${root}: ${moduleDirs(root).length} modules, ${problems.length} problems (schemas: ${versions})\n`;
(problems.length === 0 ? process.stdout : process.stderr).write(summary);
process.exitCode = problems.length === 0 ? 0 : 1;
