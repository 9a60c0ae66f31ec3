// The progress counter on stderr: drawn in place on a terminal and wiped at the end; plain
// quarter lines, or nothing, when stderr is a pipe or a log.
import { describe, expect, it } from 'vitest';
import { PLAIN_MIN_TOTAL, progress } from '../../../cli/progress.ts';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (text: string) => void writes.push(text) } };
}

describe('progress on a terminal', () => {
  it('rewrites one line in place with \\r and erases it at the end', () => {
    // Prepare
    const { writes, stream } = fakeStream(true);
    const counter = progress(stream, 'scan', 'digests');
    // Act
    for (let done = 1; done <= 3; done++) counter.update(done, 3);
    counter.end();
    // Assess
    expect(writes).toEqual([
      '\rscan: 1/3 digests\x1b[K',
      '\rscan: 2/3 digests\x1b[K',
      '\rscan: 3/3 digests\x1b[K',
      '\r\x1b[K',
    ]);
    // what a person sees after the last \r: the line is gone, the summary starts clean
    expect(writes.join('').split('\r').at(-1)).toBe('\x1b[K');
  });

  it('skips repeats and empty totals, and leaves nothing to erase when it drew nothing', () => {
    const { writes, stream } = fakeStream(true);
    const counter = progress(stream, 'notify', 'messages sent');
    counter.update(0, 0);
    counter.end();
    expect(writes).toEqual([]);
    counter.update(1, 2);
    counter.update(1, 2);
    counter.end();
    expect(writes).toEqual(['\rnotify: 1/2 messages sent\x1b[K', '\r\x1b[K']);
  });
});

describe('progress when not a terminal', () => {
  it('writes a plain line at each quarter of a long run, without \\r or escapes', () => {
    const { writes, stream } = fakeStream(false);
    const counter = progress(stream, 'scan', 'digests');
    for (let done = 1; done <= 120; done++) counter.update(done, 120);
    counter.end();
    expect(writes).toEqual(['scan: 30/120 digests\n', 'scan: 60/120 digests\n', 'scan: 90/120 digests\n']);
  });

  it('writes nothing for a short run (the summary follows at once)', () => {
    const { writes, stream } = fakeStream(false);
    const counter = progress(stream, 'scan', 'digests');
    const total = PLAIN_MIN_TOTAL - 1;
    for (let done = 1; done <= total; done++) counter.update(done, total);
    counter.end();
    expect(writes).toEqual([]);
  });

  it('treats a stream without isTTY as not a terminal', () => {
    const writes: string[] = [];
    const counter = progress({ write: (t) => void writes.push(t) }, 'scan', 'digests');
    for (let done = 1; done <= 40; done++) counter.update(done, 40);
    expect(writes.every((w) => !w.includes('\r'))).toBe(true);
    expect(writes).toHaveLength(3);
  });
});
