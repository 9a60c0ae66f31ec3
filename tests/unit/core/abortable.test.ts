import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, realTimer, untilAborted } from '../../../core/abortable.ts';

describe('untilAborted', () => {
  it('gives up on work that never settles once the signal aborts, with its reason', async () => {
    // Arrange
    const never = new Promise<string>(() => undefined);
    const controller = new AbortController();
    const waiting = untilAborted(never, controller.signal);
    // Act
    controller.abort(new Error('time budget'));
    // Assess
    await expect(waiting).rejects.toThrow('time budget');
  });

  it('passes results and failures through while the signal is quiet', async () => {
    const controller = new AbortController();
    await expect(untilAborted(Promise.resolve(7), controller.signal)).resolves.toBe(7);
    await expect(untilAborted(Promise.reject(new Error('EIO')), controller.signal)).rejects.toThrow('EIO');
    await expect(untilAborted(Promise.resolve(1), undefined)).resolves.toBe(1);
  });

  it('rejects at once on an already aborted signal, without an unhandled rejection from the work', async () => {
    const controller = new AbortController();
    controller.abort(new Error('late'));
    await expect(untilAborted(Promise.reject(new Error('ignored')), controller.signal)).rejects.toThrow(
      'late',
    );
  });

  it('keeps a budget longer than setTimeout can hold from firing at once', async () => {
    // Arrange: Node fires delays above 2^31-1 ms after 1 ms; a 30-day budget must not
    let fired = false;
    const cancel = realTimer(30 * 24 * 3_600_000, () => {
      fired = true;
    });
    // Act: a 20 ms timer set after it; an overflowed one (1 ms) would fire first
    await new Promise((resolve) => setTimeout(resolve, 20));
    cancel();
    // Assess
    expect(fired).toBe(false);
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
  });
});
