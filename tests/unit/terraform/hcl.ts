// Reading the Terraform configuration without the terraform binary: every .tf file parsed by
// @cdktn/hcl2json (HashiCorp's HCL parser compiled to WASM) into JSON, where blocks are
// arrays and expressions are "${...}" strings; plus helpers to walk that JSON.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktn/hcl2json';

export type Json = unknown;
export type Blocks = Record<string, Record<string, Array<Record<string, Json>>>>;

export interface TfFile {
  name: string;
  text: string;
  json: Record<string, Json>;
}

export interface TfDir {
  dir: string;
  files: TfFile[];
}

export async function loadTfDir(dir: string): Promise<TfDir> {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort();
  const files: TfFile[] = [];
  for (const name of names) {
    const text = readFileSync(join(dir, name), 'utf8');
    files.push({ name, text, json: (await parse(name, text)) as Record<string, Json> });
  }
  return { dir, files };
}

/** Two-level blocks (`resource "type" "name"`, `data ...`) merged across the files of a directory. */
export function blocks(tf: TfDir, kind: 'resource' | 'data'): Blocks {
  const out: Blocks = {};
  for (const file of tf.files) {
    const section = (file.json[kind] ?? {}) as Blocks;
    for (const [type, byName] of Object.entries(section)) {
      out[type] ??= {};
      Object.assign(out[type], byName);
    }
  }
  return out;
}

/** One-level blocks (`variable "x"`, `output "x"`, `module "x"`) merged across files. */
export function named(
  tf: TfDir,
  kind: 'variable' | 'output' | 'module',
): Record<string, Record<string, Json>> {
  const out: Record<string, Record<string, Json>> = {};
  for (const file of tf.files) {
    for (const [name, list] of Object.entries(
      (file.json[kind] ?? {}) as Record<string, Array<Record<string, Json>>>,
    )) {
      out[name] = list[0] ?? {};
    }
  }
  return out;
}

/** Every `locals` attribute across the files. */
export function locals(tf: TfDir): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const file of tf.files) {
    for (const block of (file.json.locals ?? []) as Array<Record<string, Json>>) Object.assign(out, block);
  }
  return out;
}

/** Every string in a JSON tree (expressions come out as "${...}" strings). */
export function strings(node: Json, out: string[] = []): string[] {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) for (const item of node) strings(item, out);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      out.push(key);
      strings(value, out);
    }
  }
  return out;
}

/** Every object in a JSON tree that has all the given keys. */
export function objectsWith(node: Json, keys: string[], out: Array<Record<string, Json>> = []) {
  if (Array.isArray(node)) for (const item of node) objectsWith(item, keys, out);
  else if (node !== null && typeof node === 'object') {
    const record = node as Record<string, Json>;
    if (keys.every((k) => k in record)) out.push(record);
    for (const value of Object.values(record)) objectsWith(value, keys, out);
  }
  return out;
}

/** References of one kind (`var.x`, `local.x`, `module.x.y`, `type.name`, `data.type.name`) in expressions. */
export function references(tf: TfDir): {
  vars: Set<string>;
  locals: Set<string>;
  resources: Set<string>;
  data: Set<string>;
  modules: Set<string>;
} {
  const vars = new Set<string>();
  const localsUsed = new Set<string>();
  const resources = new Set<string>();
  const data = new Set<string>();
  const modules = new Set<string>();
  for (const file of tf.files) {
    for (const s of strings(file.json)) {
      if (!s.includes('${')) continue;
      for (const m of s.matchAll(/(?<![\w.])var\.([A-Za-z_][\w-]*)/g)) vars.add(m[1] as string);
      for (const m of s.matchAll(/(?<![\w.])local\.([A-Za-z_][\w-]*)/g)) localsUsed.add(m[1] as string);
      for (const m of s.matchAll(/(?<![\w.])data\.([a-z0-9_]+)\.([A-Za-z_][\w-]*)/g))
        data.add(`${m[1]}.${m[2]}`);
      for (const m of s.matchAll(/(?<![\w.])module\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)/g)) {
        modules.add(`${m[1]}.${m[2]}`);
      }
      for (const m of s.matchAll(/(?<![\w.])((?:aws|kubernetes|archive)_[a-z0-9_]+)\.([A-Za-z_][\w-]*)/g)) {
        resources.add(`${m[1]}.${m[2]}`);
      }
    }
  }
  return { vars, locals: localsUsed, resources, data, modules };
}

export const ROOT = 'terraform';
/** The cluster part, a submodule so that an AWS-only deployment needs no kubernetes provider. */
export const RUNNER = 'terraform/modules/runner';
export const EXAMPLE_DIRS = readdirSync(join(ROOT, 'examples')).map((d) => join(ROOT, 'examples', d));

/** The first (only) block of a one-element block array. */
export const first = (value: Json): Record<string, Json> =>
  ((value as Array<Record<string, Json>>)[0] ?? {}) as never;
/** A Terraform expression as hcl2json renders it: `${...}`. */
export const expr = (inner: string): string => `\${${inner}}`;
/** Every file of a directory as one text. */
export const text = (tf: TfDir): string => tf.files.map((f) => f.text).join('\n');
