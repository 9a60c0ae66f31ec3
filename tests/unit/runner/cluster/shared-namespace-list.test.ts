// The fan-out's tick lists namespaces once for the SELinux handover and the audit together.
import { describe, expect, it } from 'vitest';
import { sharingNamespaceList } from '../../../../runner/cluster/shared-namespace-list.ts';
import type { KubeNamespace, Listed } from '../../../../runner/cluster/types.ts';

class CountingReader {
  calls: unknown[] = [];
  #fail = 0;
  failNext(times: number): void {
    this.#fail = times;
  }
  async listNamespaces(options?: unknown): Promise<Listed<KubeNamespace>> {
    this.calls.push(options);
    if (this.#fail > 0) {
      this.#fail -= 1;
      throw new Error('the API server answered 503');
    }
    return { items: [{ metadata: { name: `ns${this.calls.length}` } }] } as unknown as Listed<KubeNamespace>;
  }
  /** Uses a private field: must still work through the wrapper. */
  pending(): number {
    return this.#fail;
  }
}

describe('sharingNamespaceList', () => {
  it('answers a second plain list from the first, and passes other methods through', async () => {
    const reader = new CountingReader();
    const shared = sharingNamespaceList(reader);

    const [first, second] = [await shared.listNamespaces(), await shared.listNamespaces()];

    expect(reader.calls).toHaveLength(1);
    expect(second).toBe(first);
    expect(shared.pending()).toBe(0);
  });

  it('asks again after a failed list, so the audit does not inherit the handover failure', async () => {
    const reader = new CountingReader();
    reader.failNext(1);
    const shared = sharingNamespaceList(reader);

    await expect(shared.listNamespaces()).rejects.toThrow('503');
    const again = await shared.listNamespaces();

    expect(reader.calls).toHaveLength(2);
    expect(again.items).toHaveLength(1);
  });

  it('does not share a list with options (a label selector asks something else)', async () => {
    const reader = new CountingReader();
    const shared = sharingNamespaceList(reader);

    await shared.listNamespaces();
    await shared.listNamespaces({ labelSelector: 'tenant=yes' });

    expect(reader.calls).toEqual([undefined, { labelSelector: 'tenant=yes' }]);
  });
});
