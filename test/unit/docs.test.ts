import { Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main';
import { cliReference } from '../../src/cli/reference';
import { brokenLinks, docFiles, historyTalk, prose, readDoc, testedExamples } from '../helpers/docs-check';

describe('the docs', () => {
  it('have no broken relative link', () => {
    expect(docFiles().flatMap((f) => brokenLinks(f, readDoc(f)))).toEqual([]);
  });

  it('speak of the product, never of rounds of work or issue numbers', () => {
    expect(docFiles().flatMap((f) => historyTalk(readDoc(f)).map((line) => `${f}: ${line}`))).toEqual([]);
  });

  it('keep the README short, with no line of prose over about 300 characters', () => {
    const readme = readDoc('README.md');
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12_500);
    expect(
      prose(readme)
        .split('\n')
        .filter((l) => l.length > 320),
    ).toEqual([]);
  });

  it('give docs/cli.md as the code defines the commands (npm run docs:cli writes it)', () => {
    expect(readDoc('docs/cli.md')).toBe(cliReference(buildProgram()));
  });

  it('open each page with who it is for and end it with tested examples', () => {
    for (const f of docFiles().filter((f) => f.startsWith('docs/') && f !== 'docs/cli.md')) {
      expect(readDoc(f), f).toMatch(/^# .+\n\nFor /);
      expect(
        testedExamples(readDoc(f)).length + (/## Tested examples\n\n```sh\n/.test(readDoc(f)) ? 1 : 0),
        f,
      ).toBeGreaterThan(0);
    }
  });

  it('fail on a planted stale flag and on a planted broken link', () => {
    const program = buildProgram();
    program.commands
      .find((c) => c.name() === 'start')!
      .addOption(new Option('--planted <n>', 'a flag the page does not know'));
    expect(readDoc('docs/cli.md')).not.toBe(cliReference(program));
    expect(brokenLinks('docs/tokens.md', 'See [the planted page](planted.md) and [cli](cli.md).')).toEqual([
      'docs/tokens.md: planted.md',
    ]);
    expect(historyTalk('Measured in the fifth session.\nSee issue 24.')).toHaveLength(2);
  });
});
