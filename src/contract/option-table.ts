// The one table of a batch's options as people set them: each flag, the option it sets, its kind of value,
// whether `clientsync set` may change it while the batch runs, and its help. The flags of `start` and `set`,
// the checks of `set`'s Update and the defaults shown in help all come from it. Pure data: the workflow
// imports it too.
import { DEFAULT_OPTIONS, HTTP_METHODS, type BatchOptions, type BatchOptionsInput, type MaxFailures } from './options';

export type ValueKind =
  | { kind: 'whole'; min: number; max: number }
  /** A whole number, or `auto`. */
  | { kind: 'whole-or-auto'; min: number; max: number }
  /** A number of 0 or more; 0 means "no limit". */
  | { kind: 'rate-limit' }
  /** A duration such as 90s, 30m, 2h, in milliseconds. */
  | { kind: 'duration' }
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'max-failures' }
  | { kind: 'text' }
  /** A flag given once per value. */
  | { kind: 'list' }
  /** A flag without a value: on when given. */
  | { kind: 'switch' }
  /** `--name` and `--no-name`: on by default. */
  | { kind: 'on-off'; offHelp: string };

/** The options a row may set: a BatchOptions key, or the retry policy's attempts. */
export type OptionKey = keyof Omit<BatchOptions, 'retry' | 'autoRefreshMinIntervalMs'> | 'maximumAttempts';

export interface OptionRow {
  /** The long flag without its dashes; commander names the parsed value after it (`timeout-ms` → `timeoutMs`). */
  flag: string;
  /** The value's name in help, e.g. `n`. */
  value?: string;
  option: OptionKey;
  type: ValueKind;
  /** `clientsync set` may change it while the batch runs. */
  settable: boolean;
  help: string;
}

const MAX = Number.MAX_SAFE_INTEGER;

export const OPTION_TABLE = [
  {
    flag: 'method',
    value: 'method',
    option: 'method',
    type: { kind: 'choice', choices: HTTP_METHODS },
    settable: false,
    help: 'HTTP method of each call',
  },
  {
    flag: 'header',
    value: "'Name: value'",
    option: 'headers',
    type: { kind: 'list' },
    settable: false,
    help: "a header for each call, repeatable; {Field} in the value is the client's field, {$group.Field} its group's",
  },
  {
    flag: 'body',
    value: 'jsonata',
    option: 'body',
    type: { kind: 'text' },
    settable: false,
    help: 'a JSONata expression over the client entry that builds the JSON body, e.g. \'{"id": ClientId, "name": ClientName}\'',
  },
  {
    flag: 'auth',
    value: 'place',
    option: 'auth',
    type: { kind: 'text' },
    settable: false,
    help: 'where the token goes: bearer, basic (the token is user:password), header:NAME (e.g. header:X-Api-Key) or query:NAME',
  },
  {
    flag: 'ok-status',
    value: 'statuses',
    option: 'okStatus',
    type: { kind: 'text' },
    settable: false,
    help: 'statuses that count as a success for a client, e.g. 2xx,409',
  },
  {
    flag: 'result',
    value: 'jsonata',
    option: 'result',
    type: { kind: 'text' },
    settable: false,
    help: 'a JSONata expression over each response, kept instead of the whole body, e.g. \'{"id": id, "status": status}\'',
  },
  {
    flag: 'concurrency',
    value: 'n',
    option: 'concurrency',
    type: { kind: 'whole', min: 1, max: 1000 },
    settable: true,
    help: "at most N calls in flight at once; the pace finds the API's own below it",
  },
  {
    flag: 'page-size',
    value: 'n',
    option: 'pageSize',
    type: { kind: 'whole', min: 1, max: 10_000 },
    settable: false,
    help: 'clients read per page',
  },
  {
    flag: 'timeout-ms',
    value: 'ms',
    option: 'callTimeoutMs',
    type: { kind: 'whole', min: 1, max: MAX },
    settable: false,
    help: 'per-call timeout',
  },
  {
    flag: 'max-attempts',
    value: 'n',
    option: 'maximumAttempts',
    type: { kind: 'whole', min: 1, max: 100 },
    settable: false,
    help: 'attempts per client for transient errors',
  },
  {
    flag: 'expired-regex',
    value: 're',
    option: 'expiredRegex',
    type: { kind: 'text' },
    settable: false,
    help: 'regex over a 401/403 body that means "token expired"',
  },
  {
    flag: 'event-budget',
    value: 'n',
    option: 'eventBudget',
    type: { kind: 'whole', min: 500, max: 50_000 },
    settable: false,
    help: 'history events per run before continue-as-new',
  },
  {
    flag: 'rps',
    value: 'r',
    option: 'rps',
    type: { kind: 'rate-limit' },
    settable: true,
    help: "at most R calls per second for this batch, across all workers (0: no limit); the pace finds the API's own below it",
  },
  {
    flag: 'adaptive',
    value: 'on|off',
    option: 'adaptive',
    type: { kind: 'choice', choices: ['on', 'off'] },
    settable: true,
    help:
      "below the ceilings, follow the API's answers: back off on 429s, 503s and rising latency, hold on Retry-After, " +
      'grow while healthy (off: the ceilings are the limits)',
  },
  {
    flag: 'breaker',
    value: 'on|off',
    option: 'breaker',
    type: { kind: 'choice', choices: ['on', 'off'] },
    settable: true,
    help: 'when the API stops answering, stop sending and probe it, so no client fails for an outage (off: each call retries on its own)',
  },
  {
    flag: 'clients-per-activity',
    value: 'k',
    option: 'clientsPerActivity',
    type: { kind: 'whole-or-auto', min: 1, max: 1000 },
    settable: false,
    help: 'clients per API activity: auto sizes each to about a second of calls; 1 makes each call its own activity in Temporal Web',
  },
  {
    flag: 'local-calls',
    option: 'localCalls',
    type: { kind: 'switch' },
    settable: false,
    help: 'call each client in a local activity of the worker running the batch: one history event per client, faster; calls stay on that worker',
  },
  {
    flag: 'auto-refresh',
    option: 'autoRefresh',
    type: { kind: 'on-off', offHelp: 'on an expired token, always wait for a person' },
    settable: false,
    help: "on an expired token, and before a token's known end, get a new one from the workers' token provider",
  },
  {
    flag: 'notify-every',
    value: 'duration',
    option: 'notifyEveryMs',
    type: { kind: 'duration' },
    settable: false,
    help: 'while it waits for a person, alert again this often',
  },
  {
    flag: 'wait-timeout',
    value: 'duration',
    option: 'waitTimeoutMs',
    type: { kind: 'duration' },
    settable: false,
    help: 'how long to wait for a person before --on-wait-timeout',
  },
  {
    flag: 'on-wait-timeout',
    value: 'action',
    option: 'onWaitTimeout',
    type: { kind: 'choice', choices: ['keep-waiting', 'cancel', 'fail'] },
    settable: false,
    help: 'after --wait-timeout',
  },
  {
    flag: 'canary',
    value: 'n',
    option: 'canary',
    type: { kind: 'whole', min: 1, max: MAX },
    settable: false,
    help: 'call the first N clients, say what each got and how long the rest would take, then pause the batch until `resume`',
  },
  {
    flag: 'max-failures',
    value: 'n|p%',
    option: 'maxFailures',
    type: { kind: 'max-failures' },
    settable: true,
    help: 'pause (or fail) the batch when failed clients exceed N, or P% of those processed',
  },
  {
    flag: 'min-sample',
    value: 'n',
    option: 'minSample',
    type: { kind: 'whole', min: 1, max: MAX },
    settable: true,
    help: 'a percentage --max-failures applies once N clients are processed',
  },
  {
    flag: 'on-max-failures',
    value: 'action',
    option: 'onMaxFailures',
    type: { kind: 'choice', choices: ['pause', 'fail'] },
    settable: true,
    help: 'what --max-failures does',
  },
] as const satisfies readonly OptionRow[];

/** The name commander gives a flag's value: `timeout-ms` → `timeoutMs`. */
/** `page-size` → `pageSize`: the name commander gives a flag's parsed value. */
type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;

/** The parsed value of a kind of option, as commander hands it to a command. */
type ParsedValue<K extends ValueKind> = K extends { kind: 'choice'; choices: readonly (infer C)[] }
  ? C
  : K extends { kind: 'switch' } | { kind: 'on-off' }
    ? boolean
    : K extends { kind: 'max-failures' }
      ? MaxFailures | null
      : K extends { kind: 'text' }
        ? string
        : K extends { kind: 'whole-or-auto' }
          ? number | 'auto'
          : K extends { kind: 'list' }
            ? string[]
            : number;

/** The batch options of `start`'s parsed flags, each named and typed by its row. */
export type TableFlags = { [R in (typeof OPTION_TABLE)[number] as Camel<R['flag']>]?: ParsedValue<R['type']> };

export const attributeOf = (flag: string) => flag.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/** An option's default, as help shows it; undefined where there is none to show. */
export function defaultText(row: OptionRow, d: BatchOptions = DEFAULT_OPTIONS): string | undefined {
  const v = row.option === 'maximumAttempts' ? d.retry.maximumAttempts : d[row.option];
  if (v === undefined || v === null || v === false || (Array.isArray(v) && v.length === 0)) return undefined;
  if (row.type.kind === 'duration') return (v as number) > 0 ? `${(v as number) / 60_000}m` : undefined;
  if (row.type.kind === 'on-off') return v ? 'on' : 'off';
  return String(v);
}

/** Sets a row's option in a batch's options input. */
export function setOption(options: BatchOptionsInput, row: OptionRow, value: unknown): void {
  if (row.option === 'maximumAttempts') options.retry = { ...options.retry, maximumAttempts: value as number };
  else (options as Record<string, unknown>)[row.option] = value;
}

/** What a value of this kind must be, in the words of an error; null when `value` is one. */
export function valueRefusal(type: ValueKind, value: unknown): string | null {
  switch (type.kind) {
    case 'whole':
      return Number.isInteger(value) && (value as number) >= type.min && (value as number) <= type.max
        ? null
        : `a whole number from ${type.min} to ${type.max}`;
    case 'whole-or-auto': {
      const whole = valueRefusal({ kind: 'whole', min: type.min, max: type.max }, value);
      return value === 'auto' || !whole ? null : `auto or ${whole}`;
    }
    case 'rate-limit':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? null : 'a number of 0 or more';
    case 'choice':
      return type.choices.includes(value as string) ? null : type.choices.join(' or ');
    case 'max-failures': {
      const m = value as MaxFailures | null;
      if (m === null) return null;
      if ('count' in m)
        return Number.isInteger(m.count) && m.count >= 0 ? null : 'a whole number or a percentage such as 5%';
      return m.percent >= 0 && m.percent < 100 ? null : 'a percentage from 0% to below 100%';
    }
    default:
      return null;
  }
}
