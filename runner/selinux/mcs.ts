// SELinux MLS/MCS levels and security contexts. Levels are compared as a sensitivity plus a
// set of categories, never as strings: `s0:c26,c5` (OpenShift, descending), `s0:c5,c26`
// (kernel, ascending) and `s0:c5.c6` style runs all name levels the same way.
import { ValidationError } from '../../core/errors.ts';

export const MAX_CATEGORY = 1023;
export const MAX_SENSITIVITY = 15;

/** One MCS level: a sensitivity and a set of categories (c0..c1023). */
export interface MlsLevel {
  readonly sensitivity: number;
  readonly categories: ReadonlySet<number>;
}

/** A context `user:role:type:level`; the level keeps its raw text too (it may be a range). */
export interface SecurityContext {
  readonly user: string;
  readonly role: string;
  readonly type: string;
  /** undefined when the context has no MLS part (`user:role:type`). */
  readonly level: MlsLevel | undefined;
  readonly rawLevel: string | undefined;
}

/** Thrown for a malformed level, context or seed label; `source` says where it came from. */
export class McsError extends ValidationError {
  override name = 'McsError';
}

function parseCategoryNumber(text: string, source: string, whole: string): number {
  const match = /^c(\d{1,4})$/.exec(text);
  const value = match ? Number(match[1]) : Number.NaN;
  if (!match || value > MAX_CATEGORY || ((match[1]?.length ?? 0) > 1 && match[1]?.startsWith('0'))) {
    throw new McsError(
      source,
      `bad category ${JSON.stringify(text)} in level ${JSON.stringify(whole)} (expected c0..c${MAX_CATEGORY})`,
    );
  }
  return value;
}

/** Parses one level such as `s0`, `s0:c5,c26` or `s0:c0.c3,c9`. Duplicates are an error. */
export function parseLevel(text: string, source = 'level'): MlsLevel {
  const trimmed = text.replace(/\0+$/, '').trim();
  const match = /^s(\d{1,2})(?::(.+))?$/.exec(trimmed);
  if (!match || Number(match[1]) > MAX_SENSITIVITY) {
    throw new McsError(source, `expected a level such as s0:c5,c26, got ${JSON.stringify(text)}`);
  }
  const categories = new Set<number>();
  const add = (value: number, part: string): void => {
    if (categories.has(value)) {
      throw new McsError(
        source,
        `category c${value} repeated (${JSON.stringify(part)}) in level ${JSON.stringify(trimmed)}`,
      );
    }
    categories.add(value);
  };
  if (match[2] !== undefined) {
    for (const part of match[2].split(',')) {
      const [from, to, ...rest] = part.split('.');
      if (from === undefined || rest.length > 0) {
        throw new McsError(
          source,
          `bad category list ${JSON.stringify(part)} in level ${JSON.stringify(trimmed)}`,
        );
      }
      const low = parseCategoryNumber(from, source, trimmed);
      if (to === undefined) {
        add(low, part);
        continue;
      }
      const high = parseCategoryNumber(to, source, trimmed);
      if (high <= low) {
        throw new McsError(
          source,
          `category range ${JSON.stringify(part)} must ascend in level ${JSON.stringify(trimmed)}`,
        );
      }
      for (let c = low; c <= high; c++) add(c, part);
    }
  }
  return { sensitivity: Number(match[1]), categories };
}

/** Like parseLevel but returns undefined instead of throwing. */
export function tryParseLevel(text: string): MlsLevel | undefined {
  try {
    return parseLevel(text);
  } catch {
    return undefined;
  }
}

export function levelsEqual(a: MlsLevel, b: MlsLevel): boolean {
  if (a.sensitivity !== b.sensitivity || a.categories.size !== b.categories.size) return false;
  for (const c of a.categories) if (!b.categories.has(c)) return false;
  return true;
}

/** Formats the kernel's way: categories ascending, runs of three or more as `cX.cY`. */
export function formatLevel(level: MlsLevel): string {
  const sorted = [...level.categories].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    const first = sorted[i] as number;
    const last = sorted[j] as number;
    if (j - i >= 2) parts.push(`c${first}.c${last}`);
    else for (let k = i; k <= j; k++) parts.push(`c${sorted[k]}`);
    i = j + 1;
  }
  return parts.length > 0 ? `s${level.sensitivity}:${parts.join(',')}` : `s${level.sensitivity}`;
}

/** A level from the seed's namespace label value `593-693` (meaning `s0:c593,c693`). */
export function parseSeedLabel(value: string, source = 'label'): MlsLevel {
  const match = /^(\d{1,4})-(\d{1,4})$/.exec(value.trim());
  if (!match) {
    throw new McsError(source, `expected two categories such as 593-693, got ${JSON.stringify(value)}`);
  }
  const a = parseCategoryNumber(`c${match[1]}`, source, value);
  const b = parseCategoryNumber(`c${match[2]}`, source, value);
  if (a === b) throw new McsError(source, `the two categories must differ, got ${JSON.stringify(value)}`);
  return { sensitivity: 0, categories: new Set([a, b]) };
}

/** Parses `user:role:type[:level]`; a trailing NUL (libselinux writes one) is ignored. */
export function parseContext(text: string, source = 'context'): SecurityContext {
  const clean = text.replace(/\0+$/, '');
  const parts = clean.split(':');
  const [user, role, type] = parts;
  if (parts.length < 3 || !user || !role || !type) {
    throw new McsError(source, `expected user:role:type:level, got ${JSON.stringify(clean)}`);
  }
  const rawLevel = parts.length > 3 ? parts.slice(3).join(':') : undefined;
  // A range (`s0-s0:c0.c1023`) is a domain's clearance, not a single level: keep it raw.
  const level = rawLevel === undefined || rawLevel.includes('-') ? undefined : parseLevel(rawLevel, source);
  return { user, role, type, level, rawLevel };
}

/** The same context with its level replaced; user, role and type are kept as they were. */
export function withLevel(context: SecurityContext, level: MlsLevel): string {
  return `${context.user}:${context.role}:${context.type}:${formatLevel(level)}`;
}

/** True for `s0` with no categories: the shared level container_t may also write. */
export function isSharedLevel(level: MlsLevel): boolean {
  return level.categories.size === 0;
}
