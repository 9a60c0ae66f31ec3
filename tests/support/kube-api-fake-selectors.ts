// Label and field selectors as the Kubernetes API server parses them, for the API fake:
// labels `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`, `!a`, comma-separated;
// fields `spec.nodeName=`, `metadata.name=`, `metadata.namespace=`, `status.phase=` with = / == / !=.

type Labels = Record<string, string> | undefined;
export type Matcher = (labels: Labels) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

export class SelectorError extends Error {
  override name = 'SelectorError';
}

/** Parses a label selector; throws SelectorError with the API server's wording on bad input. */
export function parseLabelSelector(selector: string): Matcher {
  const requirements = splitTopLevel(selector).map((term): Matcher => {
    const set = /^([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (set) {
      const [, key = '', op, list = ''] = set;
      const values = new Set(
        list
          .split(',')
          .map((value) => value.trim())
          .filter(Boolean),
      );
      return op === 'in'
        ? (labels) => labels?.[key] !== undefined && values.has(labels[key] ?? '')
        : (labels) => labels?.[key] === undefined || !values.has(labels[key] ?? '');
    }
    const equality = /^([A-Za-z0-9./_-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$/.exec(term);
    if (equality) {
      const [, key = '', op, value = ''] = equality;
      return op === '!=' ? (labels) => labels?.[key] !== value : (labels) => labels?.[key] === value;
    }
    const exists = /^(!?)([A-Za-z0-9./_-]+)$/.exec(term);
    if (exists) {
      const [, not, key = ''] = exists;
      return not ? (labels) => labels?.[key] === undefined : (labels) => labels?.[key] !== undefined;
    }
    throw new SelectorError(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=`);
  });
  return (labels) => requirements.every((matches) => matches(labels));
}

const SUPPORTED_FIELDS = [
  'metadata.name',
  'metadata.namespace',
  'spec.nodeName',
  'status.phase',
  'involvedObject.name',
  'involvedObject.kind',
];

function fieldValue(object: Record<string, unknown>, path: string): string {
  let current: unknown = object;
  for (const part of path.split('.')) {
    current = current && typeof current === 'object' ? (current as Record<string, unknown>)[part] : undefined;
  }
  return current === undefined || current === null ? '' : String(current);
}

export type ObjectMatcher = (object: Record<string, unknown>) => boolean;

/** Parses a field selector over the fields the fake indexes; unknown fields are a 400 as in Kubernetes. */
export function parseFieldSelector(selector: string): ObjectMatcher {
  const requirements = splitTopLevel(selector).map((term): ObjectMatcher => {
    const match = /^([A-Za-z0-9.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!match) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field = '', op, value = ''] = match;
    if (!SUPPORTED_FIELDS.includes(field)) {
      throw new SelectorError(`field label not supported: ${field}`);
    }
    return op === '!='
      ? (object) => fieldValue(object, field) !== value
      : (object) => fieldValue(object, field) === value;
  });
  return (object) => requirements.every((matches) => matches(object));
}
