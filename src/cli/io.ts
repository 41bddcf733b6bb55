import { Readable } from 'node:stream';
import type { BuildLog } from '../temporal-server/provision';

/** Where a command writes; tests pass their own to capture output. */
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  /** Rewrites the current terminal line (progress bars); plain lines when not a TTY. */
  redraw(line: string): void;
  isTTY: boolean;
  stdin: NodeJS.ReadableStream;
}

export const processIO: CliIO = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  redraw: (line) =>
    process.stdout.isTTY ? process.stdout.write(`\r\x1b[2K${line}`) : process.stdout.write(line + '\n'),
  isTTY: !!process.stdout.isTTY,
  stdin: process.stdin,
};

/** Collects output in memory. */
export function memoryIO(stdinText = ''): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (l) => lines.push(l),
    err: (l) => errors.push(l),
    redraw: (l) => lines.push(l),
    isTTY: false,
    stdin: Readable.from([stdinText]),
  };
}

/**
 * Resolves on the first SIGINT or SIGTERM: long-running commands stop cleanly on Ctrl-C. While they stop, the
 * same request again (timeout(1) signals the process and its group) changes nothing; a second Ctrl-C quits at once.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first: NodeJS.Signals | undefined;
    const on = (sig: NodeJS.Signals) => {
      if (first === undefined) resolve((first = sig));
      else if (sig === 'SIGINT') process.exit(130);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** A build's log: its lines through `write`, and its progress line redrawn in place on a terminal. */
export function buildLog(io: CliIO, write: (line: string) => void): BuildLog {
  return Object.assign((line: string) => write(line), io.isTTY ? { redraw: (line: string) => io.redraw(line) } : {});
}
