// Pass 1 of the Elasticsearch inventory (esQuery.ts) answers one bucket per digest value; a
// document listing several digests is in each of their buckets. This folds those buckets into
// images: digests listed together are one image (DigestGroups.ts), keyed by the first valid
// digest of a sample document. Counts are distinct only over one set of documents, so an
// image's counts come from a bucket whose documents include every document of the image (its
// co_digests say so), else from one follow-up aggregation over exactly those documents.

import { DigestGroups } from './DigestGroups.ts';
import { splitDigests, VALID_DIGEST } from './digests.ts';
import { getField, keywordValues } from './documentFields.ts';
import type { CompositeBucket, ImageAggs } from './esQuery.ts';

const INVALID_SAMPLE = 10;

export interface DigestBucket {
  digest: string;
  documents: number;
  aggs: ImageAggs;
  /** Valid digests listed beside it, with the number of its documents listing each (itself included). */
  co: Map<string, number>;
  /** co_digests was cut at its size: some listed digests are unknown. */
  coTruncated: boolean;
  /** Valid digests of one sample document, in the order the shipper wrote them. */
  sampleOrder: string[];
}

/** An image to emit: its key, aliases, and where its counts come from. */
export interface DigestImage {
  digest: string;
  aliases: string[];
  invalidDigests: string[];
  /** The bucket whose documents cover the whole image; undefined: ask with a group query. */
  cover: DigestBucket | undefined;
  members: DigestBucket[];
}

export class DigestBucketFolder {
  readonly #buckets = new Map<string, DigestBucket>();
  readonly #groups = new DigestGroups();
  /** Invalid digest values, attached to the image of a valid digest listed beside them. */
  readonly #invalid = new Map<string, string[]>();

  readonly #digestField: string;

  constructor(digestField: string) {
    this.#digestField = digestField;
  }

  add(b: CompositeBucket): void {
    const value = b.key.digest;
    if (typeof value !== 'string') return;
    const co = new Map<string, number>();
    for (const t of b.co_digests.buckets) {
      const d = String(t.key);
      if (VALID_DIGEST.test(d)) co.set(d, t.doc_count);
    }
    if (!VALID_DIGEST.test(value)) {
      // its documents all list a valid digest too (the query asks for that): they are counted there
      const anchor = [...co.keys()][0];
      if (anchor === undefined) return;
      const list = this.#invalid.get(anchor) ?? [];
      if (list.length < INVALID_SAMPLE && !list.includes(value)) list.push(value);
      this.#invalid.set(anchor, list);
      return;
    }
    const source = b.sample?.hits.hits[0]?._source;
    const sampleOrder = splitDigests(keywordValues(getField(source, this.#digestField))).valid;
    this.#buckets.set(value, {
      digest: value,
      documents: b.doc_count,
      aggs: b,
      co,
      coTruncated: (b.co_digests.sum_other_doc_count ?? 0) > 0,
      sampleOrder,
    });
    this.#groups.link([value, ...co.keys()]);
  }

  images(): DigestImage[] {
    const out: DigestImage[] = [];
    for (const group of this.#groups.groups()) {
      const members = group
        .map((d) => this.#buckets.get(d))
        .filter((b): b is DigestBucket => b !== undefined);
      // biggest first; groups() sorts digests, so ties go to the lowest digest
      members.sort((a, b) => b.documents - a.documents);
      const lead = members[0];
      if (!lead) continue;
      const digest = lead.sampleOrder.find((d) => group.includes(d)) ?? lead.digest;
      const covers = (x: DigestBucket): boolean =>
        !x.coTruncated && members.every((y) => (x.co.get(y.digest) ?? 0) >= y.documents);
      const invalidDigests = [...new Set(group.flatMap((d) => this.#invalid.get(d) ?? []))].slice(
        0,
        INVALID_SAMPLE,
      );
      out.push({
        digest,
        aliases: group.filter((d) => d !== digest),
        invalidDigests,
        cover: members.find(covers),
        members,
      });
    }
    return out;
  }
}
