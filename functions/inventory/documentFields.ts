// Reading a field of a container document by its dotted name. Shippers write both nested
// objects (`{container: {image: {name}}}`) and flat dotted keys (`{"container.image.name"}`),
// sometimes mixed, so every split of the path is tried, longest key first.

export function getField(doc: unknown, path: string): unknown {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const record = doc as Record<string, unknown>;
  if (Object.hasOwn(record, path)) return record[path];
  const parts = path.split('.');
  for (let i = parts.length - 1; i >= 1; i--) {
    const head = parts.slice(0, i).join('.');
    if (Object.hasOwn(record, head)) {
      const found = getField(record[head], parts.slice(i).join('.'));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Values of a keyword field as Elasticsearch's terms see them: a scalar or each array element. */
export function keywordValues(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number').map(String);
}
