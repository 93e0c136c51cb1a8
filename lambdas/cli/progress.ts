/**
 * Progress for people on stderr: a single rewritten line, only when stderr is a terminal and --quiet is
 * not given, so pipes, CI logs and --json consumers see nothing.
 */
export interface Progress {
  stage(name: string): void;
  update(name: string, done: number, total: number, unit?: string): void;
  done(message?: string): void;
}

export function createProgress(opts: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const enabled = !opts.quiet && stream.isTTY === true;
  let lastDraw = 0;
  let current = '';
  const draw = (text: string, force = false) => {
    if (!enabled) return;
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    current = text;
    stream.write('\r\x1b[2K' + text.slice(0, (stream.columns ?? 100) - 1));
  };
  return {
    stage: (name) => draw(`${name}...`, true),
    update: (name, done, total, unit = '') => {
      const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
      const width = 24;
      const filled = Math.round((pct / 100) * width);
      draw(`${name} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}%${unit ? ` ${done}/${total} ${unit}` : ''}`, done >= total);
    },
    done: (message) => {
      if (!enabled) return;
      if (current) stream.write('\r\x1b[2K');
      current = '';
      if (message) stream.write(message + '\n');
    },
  };
}
