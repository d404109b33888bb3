/** How the demo tells its story: headings per step, lines as it goes, and progress for the long steps. */
export interface Printer {
  /** A story's title, or the closing summary's. */
  banner(text: string): void;
  heading(text: string): void;
  line(text: string): void;
  /** `done` of `total` finished; the line is rewritten in place on a terminal and ends when done = total. */
  progress(label: string, done: number, total: number): void;
}

export function consolePrinter(stream: NodeJS.WriteStream = process.stdout): Printer {
  let open = false;
  let lastShown = "";
  const endOpenLine = () => {
    if (open) stream.write("\n");
    open = false;
  };
  return {
    banner(text) {
      endOpenLine();
      stream.write(`\n${text}\n${"=".repeat(text.length)}\n`);
    },
    heading(text) {
      endOpenLine();
      stream.write(`\n== ${text}\n`);
    },
    line(text) {
      endOpenLine();
      stream.write(`   ${text}\n`);
    },
    progress(label, done, total) {
      const text = `   ${label}: ${done}/${total}`;
      if (stream.isTTY) {
        stream.write(`\r${text}`);
        open = done < total;
        if (!open) stream.write("\n");
      } else if (text !== lastShown) {
        // A log file gets one line per update; updates come per device or per poll, so they stay few.
        stream.write(`${text}\n`);
      }
      lastShown = text;
    },
  };
}

/** Keeps what would have been printed (tests read it; nothing reaches the console). */
export function recordingPrinter(): Printer & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    banner: (text) => lines.push(`# ${text}`),
    heading: (text) => lines.push(`== ${text}`),
    line: (text) => lines.push(text),
    progress: (label, done, total) => {
      if (done === total) lines.push(`${label}: ${done}/${total}`);
    },
  };
}
