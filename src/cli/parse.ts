import { InvalidArgumentError } from 'commander';
import type { ValueKind } from '../contract/option-table';
import * as values from '../domain/option-values';

// The option values' parsers (domain/option-values.ts) as commander takes them: a bad value becomes commander's
// one-line error, which names the flag.

function forCommander<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      if (err instanceof values.InvalidValueError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
}

export const wholeNumber = (min?: number, max?: number) => forCommander(values.wholeNumber(min, max));
export const rate = forCommander(values.rate);
export const positiveNumber = forCommander(values.positiveNumber);
export const port = forCommander(values.port);
export const webhookUrl = forCommander(values.webhookUrl);
export const authPlace = forCommander(values.authPlace);

/** The parser of an option table's kind of value; undefined where the text is taken as it is. */
export function parserFor(type: ValueKind): ((value: string) => unknown) | undefined {
  const parse = values.parserFor(type);
  return parse && forCommander(parse);
}
