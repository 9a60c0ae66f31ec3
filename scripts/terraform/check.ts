// What `terraform validate` would catch, without the binary: every .tf file of every module
// under a directory parses (HashiCorp's HCL parser, @cdktn/hcl2json); every resource, data
// source and ephemeral type exists in its provider; every argument and nested block is one
// the provider schema has, required ones are set; every reference (resource attributes,
// var.*, local.*, module outputs) names something that exists; calls of local modules pass
// only declared inputs and every required one. Each problem is reported as `file:line: ...`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { parse } from '@cdktn/hcl2json';
import { type HclAttr, type HclBlock, HclScanError, scanHcl } from './hcl-scan.ts';
import {
  BLOCK_KINDS,
  type BlockKind,
  type BlockSchema,
  type ProviderSchema,
  providerOf,
  readable,
} from './schema.ts';

export interface Problem {
  file: string;
  line: number;
  message: string;
}

export const formatProblem = (p: Problem): string => `${p.file}:${p.line}: ${p.message}`;

interface TfFile {
  path: string;
  body: Array<HclAttr | HclBlock>;
  lineAt: (offset: number) => number;
}

interface Module {
  dir: string;
  files: TfFile[];
}

/** Meta-arguments Terraform itself accepts in resource, data and ephemeral blocks. */
const META_ARGS: Record<BlockKind, Set<string>> = {
  resource: new Set(['count', 'for_each', 'depends_on', 'provider']),
  data: new Set(['count', 'for_each', 'depends_on', 'provider']),
  ephemeral: new Set(['count', 'for_each', 'depends_on', 'provider']),
};
const META_BLOCKS = new Set(['lifecycle', 'provisioner', 'connection']);
const MODULE_META = new Set(['source', 'version', 'count', 'for_each', 'depends_on', 'providers']);

const blocksOf = (file: TfFile, type: string): HclBlock[] =>
  file.body.filter((n): n is HclBlock => n.kind === 'block' && n.type === type);

/** Every attribute in a tree, with the file it is in. */
function* attrs(nodes: Array<HclAttr | HclBlock>): Generator<HclAttr> {
  for (const node of nodes) {
    if (node.kind === 'attr') yield node;
    else yield* attrs(node.body);
  }
}

/** Directories under root (itself included) holding .tf files, skipping .terraform. */
export function moduleDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir).sort();
    if (entries.some((e) => e.endsWith('.tf'))) out.push(dir);
    for (const e of entries) {
      if (e.startsWith('.')) continue;
      const path = join(dir, e);
      if (statSync(path).isDirectory()) walk(path);
    }
  };
  walk(root);
  return out;
}

async function loadModule(dir: string, problems: Problem[]): Promise<Module> {
  const files: TfFile[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    const path = join(dir, name);
    const text = readFileSync(path, 'utf8');
    try {
      await parse(path, text);
    } catch (error) {
      // "parse config: [path:LINE,COL-...: message]"
      const m = /:(\d+),\d+[^:]*: ([^\]]+)/.exec(String(error));
      problems.push({
        file: path,
        line: Number(m?.[1] ?? 1),
        message: `invalid HCL: ${m?.[2] ?? String(error)}`,
      });
      continue;
    }
    try {
      files.push({ path, ...scanHcl(text) });
    } catch (error) {
      if (!(error instanceof HclScanError)) throw error;
      problems.push({ file: path, line: error.line, message: `cannot follow this HCL: ${error.message}` });
    }
  }
  return { dir, files };
}

interface Declared {
  variables: Map<string, HclBlock>;
  locals: Set<string>;
  outputs: Set<string>;
  /** `type.name` of resources, `data.type.name`, `ephemeral.type.name`. */
  blocks: Map<string, { kind: BlockKind; type: string }>;
  modules: Map<string, HclBlock>;
}

function declarations(mod: Module): Declared {
  const d: Declared = {
    variables: new Map(),
    locals: new Set(),
    outputs: new Set(),
    blocks: new Map(),
    modules: new Map(),
  };
  for (const file of mod.files) {
    for (const v of blocksOf(file, 'variable')) d.variables.set(v.labels[0] ?? '', v);
    for (const o of blocksOf(file, 'output')) d.outputs.add(o.labels[0] ?? '');
    for (const l of blocksOf(file, 'locals'))
      for (const a of l.body) if (a.kind === 'attr') d.locals.add(a.name);
    for (const m of blocksOf(file, 'module')) d.modules.set(m.labels[0] ?? '', m);
    for (const kind of BLOCK_KINDS) {
      for (const b of blocksOf(file, kind)) {
        const [type = '', name = ''] = b.labels;
        d.blocks.set(`${kind === 'resource' ? '' : `${kind}.`}${type}.${name}`, { kind, type });
      }
    }
  }
  return d;
}

/** Arguments and nested blocks of one block body against its schema (recursively). */
function checkBody(
  body: Array<HclAttr | HclBlock>,
  schema: BlockSchema,
  where: string,
  file: string,
  line: number,
  meta: { args: Set<string>; blocks: Set<string> },
  problems: Problem[],
): void {
  const present = new Set<string>();
  for (const node of body) {
    if (node.kind === 'attr') {
      present.add(node.name);
      if (node.name in schema.args || meta.args.has(node.name)) continue;
      const why =
        node.name in schema.blocks
          ? `${node.name} is a block in ${where}, not an argument`
          : schema.computed.includes(node.name)
            ? `${node.name} is computed by the provider in ${where}, it cannot be set`
            : `unknown argument ${node.name} in ${where}`;
      problems.push({ file, line: node.line, message: why });
    } else if (node.type === 'dynamic') {
      const name = node.labels[0] ?? '';
      present.add(name);
      const nested = schema.blocks[name];
      if (!nested) {
        problems.push({
          file,
          line: node.line,
          message: `unknown nested block ${name} (dynamic) in ${where}`,
        });
        continue;
      }
      for (const content of node.body.filter(
        (n): n is HclBlock => n.kind === 'block' && n.type === 'content',
      ))
        checkBody(content.body, nested.schema, `${where}.${name}`, file, content.line, noMeta, problems);
    } else if (meta.blocks.has(node.type)) {
    } else {
      present.add(node.type);
      const nested = schema.blocks[node.type];
      if (!nested) {
        const why =
          node.type in schema.args
            ? `${node.type} is an argument in ${where}, not a block (write ${node.type} = ...)`
            : `unknown nested block ${node.type} in ${where}`;
        problems.push({ file, line: node.line, message: why });
        continue;
      }
      checkBody(node.body, nested.schema, `${where}.${node.type}`, file, node.line, noMeta, problems);
    }
  }
  for (const [name, arg] of Object.entries(schema.args))
    if (arg.required && !present.has(name))
      problems.push({ file, line, message: `missing required argument ${name} in ${where}` });
  for (const [name, block] of Object.entries(schema.blocks))
    if (block.required && !present.has(name))
      problems.push({ file, line, message: `missing required block ${name} in ${where}` });
}
const noMeta = { args: new Set<string>(), blocks: new Set<string>() };

function schemaFor(
  kind: BlockKind,
  type: string,
  providers: Map<string, ProviderSchema>,
): { schema?: BlockSchema; problem?: string } {
  const provider = providers.get(providerOf(type));
  if (!provider) return { problem: `${kind} type ${type}: no schema for provider ${providerOf(type)}` };
  const schema = provider[kind][type];
  if (schema) return { schema };
  if (provider.allTypes[kind].includes(type))
    return {
      problem: `${kind} type ${type} exists in ${provider.source} ${provider.version} but is not in the committed schema subset: run scripts/terraform-schemas.ts`,
    };
  return { problem: `unknown ${kind} type ${type} (${provider.source} ${provider.version} has none)` };
}

// `type.name`, then an optional index or splat, then `.attr`, then optionally `[i].sub` / `.sub`.
const INDEX = String.raw`(?:\[[^\]]*\]|\.\*)?`;
const REF = new RegExp(
  String.raw`(?<![\w.])(?:(data|ephemeral)\.)?([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)${INDEX}(?:\.([A-Za-z_][\w-]*)${INDEX}(?:\.([A-Za-z_][\w-]*))?)?`,
  'g',
);

function checkReferences(
  mod: Module,
  d: Declared,
  providers: Map<string, ProviderSchema>,
  moduleOutputs: (call: HclBlock) => Set<string> | null,
  problems: Problem[],
): void {
  for (const file of mod.files) {
    for (const a of attrs(file.body)) {
      const at = (index: number) => file.lineAt(a.offset + index);
      for (const m of a.code.matchAll(REF)) {
        const [, prefix, type = '', name = '', attr, sub] = m;
        if (!providers.has(providerOf(type))) continue;
        const kind: BlockKind = (prefix as BlockKind | undefined) ?? 'resource';
        const key = `${prefix ? `${prefix}.` : ''}${type}.${name}`;
        if (!d.blocks.has(key)) {
          problems.push({
            file: file.path,
            line: at(m.index),
            message: `reference to undeclared ${kind} ${key}`,
          });
          continue;
        }
        const { schema } = schemaFor(kind, type, providers);
        if (!schema || attr === undefined) continue;
        if (!readable(schema).has(attr)) {
          problems.push({
            file: file.path,
            line: at(m.index),
            message: `${key}.${attr}: ${type} has no attribute ${attr}`,
          });
          continue;
        }
        const nested = schema.blocks[attr]?.schema;
        if (nested && sub !== undefined && !readable(nested).has(sub))
          problems.push({
            file: file.path,
            line: at(m.index),
            message: `${key}.${attr}.${sub}: block ${attr} of ${type} has no attribute ${sub}`,
          });
      }
      for (const m of a.code.matchAll(/(?<![\w.])var\.([A-Za-z_][\w-]*)/g))
        if (!d.variables.has(m[1] as string))
          problems.push({
            file: file.path,
            line: at(m.index),
            message: `reference to undeclared variable var.${m[1]}`,
          });
      for (const m of a.code.matchAll(/(?<![\w.])local\.([A-Za-z_][\w-]*)/g))
        if (!d.locals.has(m[1] as string))
          problems.push({
            file: file.path,
            line: at(m.index),
            message: `reference to undeclared local.${m[1]}`,
          });
      for (const m of a.code.matchAll(/(?<![\w.])module\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_][\w-]*))?/g)) {
        const call = d.modules.get(m[1] as string);
        if (!call) {
          problems.push({
            file: file.path,
            line: at(m.index),
            message: `reference to undeclared module.${m[1]}`,
          });
          continue;
        }
        const outputs = moduleOutputs(call);
        if (outputs && m[2] !== undefined && !outputs.has(m[2]))
          problems.push({
            file: file.path,
            line: at(m.index),
            message: `module.${m[1]}.${m[2]}: the module has no output ${m[2]}`,
          });
      }
    }
  }
}

/** Check every module under root; the problems found, in file and line order. */
export async function checkTerraform(
  root: string,
  providers: Map<string, ProviderSchema>,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const modules = new Map<string, { mod: Module; d: Declared }>();
  for (const dir of moduleDirs(root)) {
    const mod = await loadModule(dir, problems);
    modules.set(normalize(dir), { mod, d: declarations(mod) });
  }
  const localModule = async (from: string, call: HclBlock) => {
    const source = call.body.find((n): n is HclAttr => n.kind === 'attr' && n.name === 'source');
    const path = /^\s*"?\s*(\.\.?\/[^"\s]*)/.exec(source ? source.raw : '')?.[1];
    if (path === undefined) return null;
    const dir = normalize(join(from, path));
    if (!modules.has(dir) && existsSync(dir)) {
      const mod = await loadModule(dir, problems);
      modules.set(dir, { mod, d: declarations(mod) });
    }
    return modules.get(dir) ?? null;
  };

  for (const { mod, d } of [...modules.values()]) {
    const resolved = new Map<HclBlock, Declared | null>();
    for (const call of d.modules.values()) resolved.set(call, (await localModule(mod.dir, call))?.d ?? null);

    for (const file of mod.files) {
      for (const kind of BLOCK_KINDS) {
        for (const block of blocksOf(file, kind)) {
          const [type = '', name = ''] = block.labels;
          const { schema, problem } = schemaFor(kind, type, providers);
          if (!schema) {
            problems.push({ file: file.path, line: block.line, message: problem ?? '' });
            continue;
          }
          const meta = { args: META_ARGS[kind], blocks: META_BLOCKS };
          checkBody(block.body, schema, `${type}.${name}`, file.path, block.line, meta, problems);
        }
      }
      for (const block of blocksOf(file, 'provider')) {
        const provider = providers.get(block.labels[0] ?? '');
        if (!provider) continue;
        const meta = { args: new Set(['alias']), blocks: new Set<string>() };
        checkBody(
          block.body,
          provider.config,
          `provider ${provider.provider}`,
          file.path,
          block.line,
          meta,
          problems,
        );
      }
      for (const call of blocksOf(file, 'module')) {
        const callee = resolved.get(call);
        if (!callee) continue;
        const inputs = call.body.filter((n): n is HclAttr => n.kind === 'attr' && !MODULE_META.has(n.name));
        for (const input of inputs)
          if (!callee.variables.has(input.name))
            problems.push({
              file: file.path,
              line: input.line,
              message: `module ${call.labels[0]}: the module declares no variable ${input.name}`,
            });
        for (const [name, variable] of callee.variables)
          if (
            !variable.body.some((n) => n.kind === 'attr' && n.name === 'default') &&
            !inputs.some((i) => i.name === name)
          )
            problems.push({
              file: file.path,
              line: call.line,
              message: `module ${call.labels[0]}: missing required input ${name}`,
            });
      }
    }
    checkReferences(mod, d, providers, (call) => resolved.get(call)?.outputs ?? null, problems);
  }
  return problems.sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.message.localeCompare(b.message),
  );
}
