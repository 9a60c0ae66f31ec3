// Include/exclude patterns over image names. A pattern without "/" is a registry glob
// (`*.corp.example`, `127.0.0.1:5000`); with "/" it is a repository glob matched against the
// normalised `domain/path` (`docker.io/library/*`, `registry.corp/team/**`). `*` stays within
// one path segment, `**` crosses segments, `?` is one character.
import type { ImageReference } from '../../core/image-reference.ts';

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i] ?? '';
    if (char === '*' && glob[i + 1] === '*') {
      source += '.*';
      i += 1;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

export interface ImageFilter {
  /** Why an image is filtered out, or undefined when it passes. */
  rejects(ref: ImageReference): string | undefined;
}

export function imageFilter(include: readonly string[], exclude: readonly string[]): ImageFilter {
  const compile = (pattern: string) => {
    const regexp = globToRegExp(pattern);
    return {
      pattern,
      matches: (ref: ImageReference) => regexp.test(pattern.includes('/') ? ref.name : ref.domain),
    };
  };
  const includes = include.map(compile);
  const excludes = exclude.map(compile);
  return {
    rejects(ref) {
      const excluded = excludes.find((p) => p.matches(ref));
      if (excluded) return `excluded by ${excluded.pattern}`;
      if (includes.length > 0 && !includes.some((p) => p.matches(ref))) return 'not in include patterns';
      return undefined;
    },
  };
}
