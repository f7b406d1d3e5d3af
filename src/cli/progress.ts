/**
 * A progress bar on stderr for long commands. Hidden with --quiet or when stderr is not a terminal, so
 * logs and pipes stay clean; machine output always goes to stdout.
 */
export interface Progress {
  update(done: number, total: number, note?: string): void;
  done(message?: string): void;
  log(message: string): void;
}

export function createProgress(label: string, options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const visible = !options.quiet && stream.isTTY === true;
  const started = performance.now();
  let lastDraw = 0;
  let drawn = false;
  const draw = (done: number, total: number, note?: string) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const width = 28;
    const filled = Math.round(fraction * width);
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 ? (total - done) / rate : 0;
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${(fraction * 100).toFixed(0)}% ${rate.toFixed(0)}/s eta ${eta.toFixed(0)}s${note ? ' ' + note : ''}`;
    stream.write(`\r${line.slice(0, (stream.columns ?? 120) - 1)}\x1b[K`);
    drawn = true;
  };
  return {
    update(done, total, note) {
      if (!visible) return;
      const now = performance.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      draw(done, total, note);
    },
    done(message) {
      if (visible && drawn) stream.write('\r\x1b[K');
      drawn = false;
      if (message && !options.quiet) stream.write(message + '\n');
    },
    log(message) {
      if (options.quiet) return;
      if (visible && drawn) stream.write('\r\x1b[K');
      drawn = false;
      stream.write(message + '\n');
    },
  };
}
