// Scroll state of the Elasticsearch fake (elasticsearch-fake.ts): the search contexts a
// `?scroll=` search opens, and `POST /_search/scroll` (the next page of hits from where the
// context stopped) and `DELETE /_search/scroll` (freeing contexts) over them.
import type { Filter, Json } from './elasticsearch-fake-query.ts';

/** Where a scroll stopped and what it pages over. */
export interface ScrollContext {
  cursor: number;
  filter: Filter;
  size: number;
}

/** What a scroll pages with: the search engine's hit pages and `_shards` section. */
export interface ScrollPager {
  hitsPage(cursor: number, filter: Filter, size: number): { hits: Json[]; cursor: number };
  shardsInfo(): Json;
}

export class Scrolls {
  readonly #contexts = new Map<string, ScrollContext>();
  #seq = 0;

  /** Opens a search context; returns its scroll id. */
  open(context: ScrollContext): string {
    const scrollId = Buffer.from(`scroll-${++this.#seq}`).toString('base64');
    this.#contexts.set(scrollId, context);
    return scrollId;
  }

  /** `POST /_search/scroll`: the next page of a scroll, 404 when its context is gone. */
  continue(body: Json, pager: ScrollPager): [number, Json] {
    const state = this.#contexts.get(String(body.scroll_id));
    if (!state) {
      return [
        404,
        {
          error: { type: 'search_context_missing_exception', reason: 'No search context found' },
          status: 404,
        },
      ];
    }
    const page = pager.hitsPage(state.cursor, state.filter, state.size);
    state.cursor = page.cursor;
    return [
      200,
      {
        _scroll_id: body.scroll_id,
        took: 2,
        timed_out: false,
        _shards: pager.shardsInfo(),
        hits: { max_score: null, hits: page.hits },
      },
    ];
  }

  /** `DELETE /_search/scroll`: frees the given contexts. */
  clear(body: Json): [number, Json] {
    const ids = Array.isArray(body.scroll_id) ? body.scroll_id : [body.scroll_id];
    let freed = 0;
    for (const id of ids) if (this.#contexts.delete(String(id))) freed++;
    return [200, { succeeded: true, num_freed: freed }];
  }
}
