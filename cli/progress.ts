// A counter for the long parts of a command (scanning digests, sending mail) on stderr. On a
// terminal one line is rewritten in place (`scan: 37/120 digests`) and wiped when the step
// ends, so the summary that follows stands alone. Not on a terminal (CI logs, cron mail, pipes)
// a carriage-return line would be noise: a plain line at each quarter of a long run, nothing
// for short ones; the command's final summary is the record either way.

export interface ProgressStream {
  write(text: string): void;
  /** True when the stream is a terminal (process.stderr.isTTY). */
  isTTY?: boolean;
}

export interface Progress {
  /** Called with how many items are finished out of how many; safe to call for every item. */
  update(done: number, total: number): void;
  /** The step is over: wipe the terminal line (nothing to do otherwise). */
  end(): void;
}

/** Below this many items a non-terminal gets no progress lines: the summary comes soon enough. */
export const PLAIN_MIN_TOTAL = 20;

export function progress(stream: ProgressStream, label: string, unit: string): Progress {
  const line = (done: number, total: number): string => `${label}: ${done}/${total} ${unit}`;
  if (stream.isTTY === true) {
    let shown = false;
    let last = '';
    return {
      update(done, total) {
        if (total <= 0) return;
        const next = line(done, total);
        if (next === last) return;
        last = next;
        shown = true;
        // \r back to the start, the new text, then erase what a longer earlier line left
        stream.write(`\r${next}\x1b[K`);
      },
      end() {
        if (shown) stream.write('\r\x1b[K');
        shown = false;
        last = '';
      },
    };
  }
  let quarter = 0;
  return {
    update(done, total) {
      if (total < PLAIN_MIN_TOTAL || done >= total) return;
      const reached = Math.floor((done * 4) / total);
      if (reached <= quarter) return;
      quarter = reached;
      stream.write(`${line(done, total)}\n`);
    },
    end() {
      quarter = 0;
    },
  };
}
