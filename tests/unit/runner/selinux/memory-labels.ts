// A LabelStore keeping labels in memory, keyed by path, over a real tree (the walk opens and
// lists real directories). Pinned reads name each directory by what its handle points at now
// (/proc/self/fd/<n>), as a real store resolving through the handle would. Hooks run inside
// reads and writes, where a hung mount would hang.
import { readlinkSync } from 'node:fs';
import type {
  LabelRead,
  LabelStore,
  LabelWrite,
  PinnedNames,
  RelabelRequest,
  RelabelResult,
} from '../../../../runner/selinux/LabelStore.ts';

export interface MemoryLabelHooks {
  /** Runs at each read (whole paths or pinned names); may hang, honouring the signal. */
  onRead?: (signal?: AbortSignal) => Promise<void> | void;
  /** Runs at each relabel before anything is written; may hang, honouring the signal. */
  onRelabel?: (paths: readonly string[], signal?: AbortSignal) => Promise<void> | void;
}

export class MemoryLabels implements LabelStore {
  /** Paths written by relabel, in order. */
  readonly relabelled: LabelWrite[] = [];

  constructor(
    public labels = new Map<string, string>(),
    private readonly hooks: MemoryLabelHooks = {},
    /** The label of a path with none in `labels` (undefined: no label). */
    private readonly fallback?: string,
  ) {}

  #get(path: string): LabelRead {
    const label = this.labels.get(path) ?? this.fallback;
    return label === undefined ? { kind: 'absent' } : { kind: 'label', label };
  }

  async read(paths: readonly string[], options?: { signal?: AbortSignal }): Promise<Map<string, LabelRead>> {
    await this.hooks.onRead?.(options?.signal);
    return new Map(paths.map((p) => [p, this.#get(p)]));
  }

  async readPinned(
    groups: readonly PinnedNames[],
    options?: { signal?: AbortSignal },
  ): Promise<LabelRead[][]> {
    await this.hooks.onRead?.(options?.signal);
    return groups.map((g) => {
      const dir = readlinkSync(`/proc/self/fd/${g.dir.fd}`);
      return g.names.map((name) => this.#get(name === '.' ? dir : `${dir}/${name}`));
    });
  }

  async write(entries: readonly LabelWrite[]) {
    for (const e of entries) this.labels.set(e.path, e.label);
    return { written: entries.length, failed: [] };
  }

  async relabel(request: RelabelRequest): Promise<RelabelResult> {
    await this.hooks.onRelabel?.(request.paths, request.signal);
    const out: RelabelResult = { written: 0, failed: [], refused: [] };
    for (const path of request.paths) {
      const current = this.#get(path);
      const label = current.kind === 'label' ? request.decide(current.label) : undefined;
      if (label === undefined) out.refused.push({ path, reason: 'no longer drifted' });
      else {
        this.labels.set(path, label);
        this.relabelled.push({ path, label });
        out.written++;
      }
    }
    return out;
  }
}
