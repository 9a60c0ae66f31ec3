// Parsing `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="...",service="...",scope="..."`
// or `Basic realm="..."`. Quoted values may contain commas and escaped quotes.

export interface Challenge {
  /** Lower-cased scheme: `bearer`, `basic`, ... */
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/** Parses one or more challenges; returns [] for an empty or unparseable header. */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  const challenges: Challenge[] = [];
  let rest = (header ?? '').trim();
  let current: Challenge | undefined;
  while (rest.length > 0) {
    const word = TOKEN.exec(rest)?.[0];
    if (word === undefined) {
      rest = rest.slice(1).trimStart();
      continue;
    }
    const after = rest.slice(word.length).trimStart();
    if (after.startsWith('=') && current) {
      // auth-param: name=value or name="quoted value"
      let value: string;
      let remaining = after.slice(1).trimStart();
      if (remaining.startsWith('"')) {
        let i = 1;
        value = '';
        while (i < remaining.length && remaining[i] !== '"') {
          if (remaining[i] === '\\' && i + 1 < remaining.length) i++;
          value += remaining[i];
          i++;
        }
        remaining = remaining.slice(i + 1);
      } else {
        value = /^[^,\s]*/.exec(remaining)?.[0] ?? '';
        remaining = remaining.slice(value.length);
      }
      current.params[word.toLowerCase()] = value;
      rest = remaining.trimStart().replace(/^,/, '').trimStart();
    } else {
      current = { scheme: word.toLowerCase(), params: {} };
      challenges.push(current);
      rest = after.replace(/^,/, '').trimStart();
    }
  }
  return challenges;
}
