import { describe, expect, it } from 'vitest';
import { main, type Commands } from '../../src/cli/main';
import { memoryIO } from '../../src/cli/io';
import { defaultText, OPTION_TABLE, setOption } from '../../src/contract/option-table';
import { DEFAULT_OPTIONS, resolveOptions, type BatchOptionsInput } from '../../src/contract/options';
import { limitsChangeRefusal, limitsOf } from '../../src/contract/limits';

async function help(command: string): Promise<string> {
  const io = memoryIO();
  await main(['node', 'clientsync', command, '--help'], io, {} as Commands);
  return io.lines.join('\n').replace(/\s+/g, ' ');
}

describe('the option table', () => {
  it('is where start and set get their batch flags, with the defaults start shows', async () => {
    const start = await help('start');
    const set = await help('set');
    for (const row of OPTION_TABLE) {
      expect(start).toContain(`--${row.flag}`);
      const shown = defaultText(row);
      if (shown && row.type.kind !== 'on-off') expect(start).toContain(`(default ${shown})`);
      expect(set.includes(`--${row.flag} `)).toBe(row.settable);
    }
  });

  it('sets every option it names, and the limits `set` may change are exactly the settable rows', () => {
    for (const row of OPTION_TABLE) {
      const options: BatchOptionsInput = {};
      setOption(options, row, 7);
      const resolved = resolveOptions(options);
      expect(row.option === 'maximumAttempts' ? resolved.retry.maximumAttempts : resolved[row.option]).toBe(7);
    }
    expect(OPTION_TABLE.filter((r) => r.settable).map((r) => r.option)).toEqual(Object.keys(limitsOf(DEFAULT_OPTIONS)));
  });

  it("refuses a `set` in the table's words, before it enters history", () => {
    expect(limitsChangeRefusal({ concurrency: 0 })).toBe('--concurrency must be a whole number from 1 to 1000');
    expect(limitsChangeRefusal({ rps: -1 })).toBe('--rps must be a number of 0 or more');
    expect(limitsChangeRefusal({ minSample: 0.5 })).toBe(
      '--min-sample must be a whole number from 1 to 9007199254740991',
    );
    expect(limitsChangeRefusal({ maxFailures: { percent: 100 } })).toBe(
      '--max-failures must be a percentage from 0% to below 100%',
    );
    expect(limitsChangeRefusal({ onMaxFailures: 'explode' as 'fail' })).toBe('--on-max-failures must be pause or fail');
    expect(
      limitsChangeRefusal({ concurrency: 8, rps: 0, maxFailures: null, minSample: 10, onMaxFailures: 'fail' }),
    ).toBeNull();
  });
});
