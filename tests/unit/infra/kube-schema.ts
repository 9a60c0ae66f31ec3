// Checks an object against the Kubernetes API models that @kubernetes/client-node generates
// from the OpenAPI spec: every field must exist where it is written (a misspelt or misplaced
// field is silently dropped by the API server, so a manifest would look fine and do nothing)
// and carry the right JSON type. Required fields are not checked.
import * as k8s from '@kubernetes/client-node';

interface Attribute {
  name: string;
  baseName: string;
  type: string;
}
type Model = { getAttributeTypeMap(): Attribute[] };

function modelOf(type: string): Model | undefined {
  const candidate = (k8s as unknown as Record<string, unknown>)[type];
  return typeof candidate === 'function' && 'getAttributeTypeMap' in candidate
    ? (candidate as Model)
    : undefined;
}

function check(value: unknown, type: string, path: string, problems: string[]): void {
  if (value === undefined || value === null) return;
  const array = /^Array<(.+)>$/.exec(type);
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) problems.push(`${path}: expected a list`);
    else
      value.forEach((item, i) => {
        check(item, array[1] ?? 'any', `${path}[${i}]`, problems);
      });
    return;
  }
  if (map) {
    if (typeof value !== 'object' || Array.isArray(value)) problems.push(`${path}: expected a map`);
    else for (const [k, v] of Object.entries(value)) check(v, map[1] ?? 'any', `${path}.${k}`, problems);
    return;
  }
  const scalar: Record<string, (v: unknown) => boolean> = {
    string: (v) => typeof v === 'string',
    number: (v) => typeof v === 'number',
    boolean: (v) => typeof v === 'boolean',
    Date: (v) => typeof v === 'string' || v instanceof Date,
    IntOrString: (v) => typeof v === 'string' || typeof v === 'number',
    any: () => true,
    object: () => true,
  };
  const scalarCheck = scalar[type];
  if (scalarCheck) {
    if (!scalarCheck(value)) problems.push(`${path}: expected ${type}, got ${JSON.stringify(value)}`);
    return;
  }
  const model = modelOf(type);
  if (!model) {
    problems.push(`${path}: unknown model ${type}`);
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${path}: expected an object (${type})`);
    return;
  }
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a]));
  for (const [key, field] of Object.entries(value)) {
    const attribute = attributes.get(key);
    if (!attribute) problems.push(`${path}.${key}: no such field in ${type}`);
    else check(field, attribute.type, `${path}.${key}`, problems);
  }
}

/** Problems of a Kubernetes object against the model of its kind (V1<Kind>); empty when it fits. */
export function kubeSchemaProblems(object: { kind?: string; metadata?: { name?: string } }): string[] {
  const problems: string[] = [];
  const type = `V1${object.kind ?? ''}`;
  if (!modelOf(type)) return [`${object.kind}: no V1 model`];
  check(object, type, `${object.kind}/${object.metadata?.name ?? '?'}`, problems);
  return problems;
}
