// Digests listed together in any document are one image, so they are grouped (union-find)
// across documents and pages: a host reporting only an alias still counts for the image.

/** Union-find over digests: `link` the digests of one document, then read the groups. */
export class DigestGroups {
  readonly #parent = new Map<string, string>();

  #find(d: string): string {
    let root = d;
    for (let p = this.#parent.get(root); p !== undefined && p !== root; p = this.#parent.get(root)) root = p;
    // path compression keeps later finds short on big fleets
    for (let cur = d; cur !== root; ) {
      const next = this.#parent.get(cur) as string;
      this.#parent.set(cur, root);
      cur = next;
    }
    return root;
  }

  link(digests: readonly string[]): void {
    const [first, ...rest] = digests;
    if (first === undefined) return;
    if (!this.#parent.has(first)) this.#parent.set(first, first);
    for (const d of rest) {
      if (!this.#parent.has(d)) this.#parent.set(d, d);
      const a = this.#find(first);
      const b = this.#find(d);
      if (a !== b) this.#parent.set(b, a);
    }
  }

  /** The group id of a digest (itself when never linked). */
  root(digest: string): string {
    return this.#parent.has(digest) ? this.#find(digest) : digest;
  }

  /** Every group, as its digests sorted. */
  groups(): string[][] {
    const out = new Map<string, string[]>();
    for (const d of this.#parent.keys()) {
      const r = this.#find(d);
      out.set(r, [...(out.get(r) ?? []), d]);
    }
    return [...out.values()].map((g) => g.sort());
  }
}
