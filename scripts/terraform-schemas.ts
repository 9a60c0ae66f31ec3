// Regenerates scripts/terraform/schemas/*.json, the provider schema subset `npm run
// terraform:check` validates terraform/ against (no terraform binary can be installed where
// this is developed, and CI should not need one). Source: the provider binding packages on
// the npm registry, whose generated .d.ts files carry every argument and block of every
// resource (snake_case name in the registry doc link, `?` when optional, "<name> block" for
// a block) and whose .js files carry the attributes the provider computes. They are hundreds
// of MB unpacked, so they are packed into a scratch directory, never installed.
//
// Run (from the repository root, with network access to the npm registry):
//   node --import tsx scripts/terraform-schemas.ts [scratch dir, default /tmp/imagewarden-tf-schemas]
// It keeps the types terraform/ (modules and examples included) uses: add a resource, run it again.
// The provider versions must match the pins in terraform/versions.tf (a test checks that).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BlockKind, BlockSchema, ProviderSchema } from './terraform/schema.ts';
import { SCHEMA_DIR } from './terraform/schema.ts';

/** The binding packages, pinned; `cdktf.provider` in each package.json names the provider version. */
const PACKAGES = [
  { provider: 'aws', source: 'hashicorp/aws', npm: '@cdktn/provider-aws', version: '25.7.0' },
  // No @cdktn build of the kubernetes provider exists yet; @cdktf's last one is 2.38.0.
  {
    provider: 'kubernetes',
    source: 'hashicorp/kubernetes',
    npm: '@cdktf/provider-kubernetes',
    version: '12.1.1',
  },
  { provider: 'archive', source: 'hashicorp/archive', npm: '@cdktn/provider-archive', version: '14.0.1' },
  { provider: 'random', source: 'hashicorp/random', npm: '@cdktn/provider-random', version: '15.0.1' },
] as const;

const scratch = process.argv[2] ?? '/tmp/imagewarden-tf-schemas';

function unpack(npm: string, version: string): string {
  const dir = join(scratch, `${npm.replace('/', '+')}@${version}`);
  if (existsSync(join(dir, 'package', 'package.json'))) return join(dir, 'package');
  mkdirSync(dir, { recursive: true });
  const out = execFileSync('npm', ['pack', `${npm}@${version}`, '--pack-destination', dir, '--json'], {
    encoding: 'utf8',
  });
  const [{ filename }] = JSON.parse(out) as [{ filename: string }];
  execFileSync('tar', ['xzf', join(dir, filename), '-C', dir]);
  return join(dir, 'package');
}

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return filesUnder(path, ext);
      return name.endsWith(ext) ? [path] : [];
    });
}

interface Field {
  name: string;
  required: boolean;
  block: boolean;
  type: string;
}

/** `export interface X { ... }` bodies of the .d.ts text, fields with their snake_case names. */
function interfaces(dts: string): Map<string, Field[]> {
  const out = new Map<string, Field[]>();
  for (const m of dts.matchAll(/export interface (\w+)(?: extends [^{]+)? \{\n([\s\S]*?)\n\}/g)) {
    const fields: Field[] = [];
    for (const f of (m[2] ?? '').matchAll(/\/\*\*([\s\S]*?)\*\/\s*readonly (\w+)(\??): ([^;]+);/g)) {
      const doc = f[1] ?? '';
      const link = [...doc.matchAll(/#([A-Za-z0-9_]+) \w+#\1\}/g)].pop();
      if (!link) continue;
      const name = link[1] as string;
      fields.push({
        name,
        required: f[3] !== '?',
        block: new RegExp(`\\*\\s*${name} block\\s*\\n`).test(doc),
        type: (f[4] ?? '').replace(/\s*\|\s*cdkt[fn]\.IResolvable/g, '').replace(/\[\]$/, ''),
      });
    }
    out.set(m[1] as string, fields);
  }
  return out;
}

/** The attribute names a class of the .js text reads (`this.getStringAttribute('name')` ...). */
function classAttributes(js: string, className: string): string[] {
  const start = js.search(new RegExp(`\\nclass ${className} extends `));
  if (start < 0) return [];
  const next = js.indexOf('\nclass ', start + 1);
  const body = js.slice(start, next < 0 ? undefined : next);
  return [
    ...new Set(
      [...body.matchAll(/(?:get\w*Attribute|interpolationForAttribute)\('([A-Za-z0-9_]+)'\)/g)].map(
        (m) => m[1] as string,
      ),
    ),
  ].sort();
}

function blockSchema(iface: string, ifaces: Map<string, Field[]>, js: string, seen: string[]): BlockSchema {
  const fields = ifaces.get(iface) ?? [];
  const schema: BlockSchema = { args: {}, blocks: {}, computed: [] };
  for (const field of fields) {
    if (field.block && ifaces.has(field.type) && !seen.includes(field.type)) {
      schema.blocks[field.name] = {
        required: field.required,
        schema: blockSchema(field.type, ifaces, js, [...seen, field.type]),
      };
    } else {
      schema.args[field.name] = { required: field.required };
    }
  }
  const settable = new Set(fields.map((f) => f.name));
  schema.computed = classAttributes(js, `${iface}OutputReference`).filter((a) => !settable.has(a));
  return schema;
}

const KIND_OF_BASE: Record<string, BlockKind | 'provider'> = {
  TerraformResource: 'resource',
  TerraformDataSource: 'data',
  TerraformEphemeralResource: 'ephemeral',
  TerraformProvider: 'provider',
};

/** Resource, data and ephemeral types used anywhere under terraform/. */
function typesUsed(): Record<BlockKind, Set<string>> {
  const used: Record<BlockKind, Set<string>> = { resource: new Set(), data: new Set(), ephemeral: new Set() };
  for (const file of filesUnder('terraform', '.tf')) {
    if (file.includes('/.terraform/')) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(resource|data|ephemeral)\s+"([a-z0-9_]+)"/gm))
      used[m[1] as BlockKind].add(m[2] as string);
  }
  return used;
}

const used = typesUsed();
mkdirSync(SCHEMA_DIR, { recursive: true });
for (const pkg of PACKAGES) {
  const root = unpack(pkg.npm, pkg.version);
  const meta = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    cdktf: { provider: { name: string; version: string } };
  };
  const out: ProviderSchema = {
    provider: pkg.provider,
    source: pkg.source,
    version: meta.cdktf.provider.version,
    package: `${pkg.npm}@${pkg.version}`,
    allTypes: { resource: [], data: [], ephemeral: [] },
    config: { args: {}, blocks: {}, computed: [] },
    resource: {},
    data: {},
    ephemeral: {},
  };
  for (const dir of readdirSync(join(root, 'lib')).sort()) {
    const path = join(root, 'lib', dir);
    if (!statSync(path).isDirectory()) continue;
    const dts = filesUnder(path, '.d.ts').map((f) => readFileSync(f, 'utf8'));
    const main = dts
      .map((t) =>
        /export declare class (\w+) extends cdkt[fn]\.(Terraform\w+) \{\n\s*static readonly tfResourceType = "([a-z0-9_]+)";/.exec(
          t,
        ),
      )
      .find((m) => m !== null);
    if (!main) continue;
    const [, className, base, type] = main as unknown as [string, string, string, string];
    const kind = KIND_OF_BASE[base];
    if (kind === undefined) continue;
    if (kind !== 'provider') out.allTypes[kind].push(type);
    if (kind !== 'provider' && !used[kind].has(type)) continue;
    const js = filesUnder(path, '.js')
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const ifaces = interfaces(dts.join('\n'));
    const schema = blockSchema(`${className}Config`, ifaces, js, []);
    const settable = new Set([...Object.keys(schema.args), ...Object.keys(schema.blocks)]);
    schema.computed = classAttributes(js, className).filter((a) => !settable.has(a));
    if (kind === 'provider') out.config = schema;
    else out[kind][type] = schema;
  }
  for (const kind of ['resource', 'data', 'ephemeral'] as const) out.allTypes[kind].sort();
  const file = join(SCHEMA_DIR, `${pkg.provider}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
  process.stdout.write(
    `${file}: ${pkg.source} ${out.version} from ${out.package}, ${Object.keys(out.resource).length} resources, ${Object.keys(out.data).length} data sources, ${Object.keys(out.ephemeral).length} ephemeral of ${out.allTypes.resource.length}/${out.allTypes.data.length}/${out.allTypes.ephemeral.length}\n`,
  );
}
