// Clair's `fixed_in_version` is not always a version. Most updaters write the version or ""
// (no fix), but claircore's OSV updater encodes the affected range as a URL query string
// (`fixed=1.2.3&introduced=1.0.0`, or `introduced=0&lastAffected=1.4` when nothing fixes it).
// Owners must see `1.2.3` (or "no fix"), never the query string, so every reader of the field
// goes through here: the report parser, and the renderers for findings stored before this.

/** The range keys the OSV updater writes; a string made only of these is a range, not a version. */
const RANGE_KEYS = new Set(['introduced', 'fixed', 'lastAffected', 'last_affected', 'limit']);

function rangeQuery(raw: string): URLSearchParams | undefined {
  if (!raw.includes('=')) return undefined;
  const parts = raw.split('&');
  const keys = parts.map((p) => decodeURIComponent(p.split('=', 1)[0] ?? '').trim());
  if (!keys.every((k) => RANGE_KEYS.has(k))) return undefined;
  try {
    return new URLSearchParams(raw);
  } catch {
    return undefined;
  }
}

/**
 * The version that fixes, or undefined when there is none: `""`, null, a range with only
 * `introduced`/`lastAffected`/`limit`, or an empty `fixed=`.
 */
export function fixedVersion(raw: string | null | undefined): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  let query: URLSearchParams | undefined;
  try {
    query = rangeQuery(text);
  } catch {
    // a malformed %-escape: not a query string we understand, show it as Clair sent it
    query = undefined;
  }
  if (!query) return text;
  const fixed = query
    .getAll('fixed')
    .map((v) => v.trim())
    .find((v) => v !== '');
  return fixed;
}
