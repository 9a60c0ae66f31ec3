// Structural checks of terraform/ without the terraform binary (none can be installed here):
// the HCL parses, the conventional files exist, variables are typed, described and documented,
// every reference resolves, and the examples call the module with what it declares.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/load.ts';
import {
  blocks,
  EXAMPLE_DIRS as EXAMPLES,
  loadTfDir,
  locals,
  named,
  ROOT,
  RUNNER,
  references,
  type TfDir,
} from './hcl.ts';

let mod: TfDir;
let runner: TfDir;
const examples: TfDir[] = [];

beforeAll(async () => {
  mod = await loadTfDir(ROOT);
  runner = await loadTfDir(RUNNER);
  for (const dir of EXAMPLES) examples.push(await loadTfDir(dir));
});

describe('terraform module', () => {
  it('has the conventional files and an example README per example', () => {
    // Assess
    for (const dir of [ROOT, RUNNER])
      for (const file of ['versions.tf', 'variables.tf', 'outputs.tf'])
        expect(existsSync(join(dir, file))).toBe(true);
    expect(EXAMPLES.map((d) => d.split('/').pop()).sort()).toEqual(['minimal', 'with-runner']);
    for (const dir of EXAMPLES)
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/terraform apply/);
  });

  it('documents every input and output in the module README', () => {
    // Prepare
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

    // Act
    const undocumented = [
      ...Object.keys(named(mod, 'variable')),
      ...Object.keys(named(mod, 'output')),
      ...Object.keys(named(runner, 'variable')),
      ...Object.keys(named(runner, 'output')),
    ].filter((name) => !new RegExp(`^\\| \`${name}\` +\\|`, 'm').test(readme));

    // Assess
    expect(undocumented).toEqual([]);
  });

  it('declares every variable with a type and a description', () => {
    // Prepare
    const dirs = [mod, runner, ...examples];

    // Act
    const missing = dirs.flatMap((tf) =>
      Object.entries(named(tf, 'variable'))
        .filter(
          ([, v]) => typeof v.type !== 'string' || typeof v.description !== 'string' || v.description === '',
        )
        .map(([name]) => `${tf.dir}: variable ${name}`),
    );

    // Assess
    expect(Object.keys(named(mod, 'variable')).length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('declares every var.*, local.*, resource and data source it references', () => {
    for (const tf of [mod, runner, ...examples]) {
      // Prepare
      const refs = references(tf);
      const declaredVars = new Set(Object.keys(named(tf, 'variable')));
      const declaredLocals = new Set(Object.keys(locals(tf)));
      const resources = blocks(tf, 'resource');
      const data = blocks(tf, 'data');
      const declared = (all: typeof resources, ref: string) => {
        const [type, name] = ref.split('.') as [string, string];
        return all[type]?.[name] !== undefined;
      };

      // Act
      const undeclared = [
        ...[...refs.vars].filter((v) => !declaredVars.has(v)).map((v) => `var.${v}`),
        ...[...refs.locals].filter((l) => !declaredLocals.has(l)).map((l) => `local.${l}`),
        ...[...refs.resources].filter((r) => !declared(resources, r)),
        ...[...refs.data].filter((d) => !declared(data, d)).map((d) => `data.${d}`),
      ];

      // Assess
      expect(undeclared, tf.dir).toEqual([]);
    }
    expect(references(mod).resources.size).toBeGreaterThan(10);
  });

  it('gives the examples only inputs the modules declare, every required one, and outputs they have', () => {
    // Prepare: each module an example may call, by its source
    const modules: Record<string, TfDir> = { '../..': mod, '../../modules/runner': runner };
    const calls: string[] = [];

    for (const example of examples) {
      for (const [callName, call] of Object.entries(named(example, 'module'))) {
        // Act
        const called = modules[String(call.source)];
        const variables = named(called ?? mod, 'variable');
        const required = Object.entries(variables)
          .filter(([, v]) => !('default' in v))
          .map(([name]) => name);
        const outputs = new Set(Object.keys(named(called ?? mod, 'output')));
        const inputs = Object.keys(call).filter((k) => k !== 'source');
        const usedOutputs = [...references(example).modules]
          .filter((r) => r.startsWith(`${callName}.`))
          .map((r) => r.slice(callName.length + 1));
        calls.push(`${example.dir.split('/').pop()} ${callName}`);

        // Assess
        expect(called, `${example.dir} module ${callName} source`).toBeDefined();
        expect(
          inputs.filter((i) => !(i in variables)),
          example.dir,
        ).toEqual([]);
        expect(
          required.filter((r) => !inputs.includes(r)),
          example.dir,
        ).toEqual([]);
        expect(
          usedOutputs.filter((o) => !outputs.has(o)),
          example.dir,
        ).toEqual([]);
      }
    }
    expect(calls.sort()).toEqual(['minimal imagewarden', 'with-runner imagewarden', 'with-runner runner']);
  });
  it("accepts the examples' imagewarden_config and runner_config as config", () => {
    const checked: string[] = [];
    for (const example of examples) {
      // Prepare
      const calls = named(example, 'module');

      // Act + Assess: HCL objects come back as one-element arrays only for blocks, not for maps
      for (const [module, key] of [
        ['imagewarden', 'imagewarden_config'],
        ['runner', 'runner_config'],
      ] as const) {
        const call = calls[module] ?? {};
        if (call[key] !== undefined) {
          expect(() => parseConfig(call[key]), `${example.dir} ${key}`).not.toThrow();
          checked.push(`${example.dir.split('/').pop()} ${key}`);
        }
      }
    }
    // the examples really carry the configs checked above (not a loop over nothing)
    expect(checked.sort()).toEqual([
      'minimal imagewarden_config',
      'with-runner imagewarden_config',
      'with-runner runner_config',
    ]);
  });
});
