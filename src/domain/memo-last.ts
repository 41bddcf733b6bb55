/**
 * `make`, remembering its last key and value. A batch uses one expiry regex and one --ok-status for all its
 * calls, so a response does not parse them again; a worker running two batches only parses more often.
 */
export function memoLast<T>(make: (key: string) => T): (key: string) => T {
  let last: { key: string; value: T } | undefined;
  return (key) => {
    if (last?.key !== key) last = { key, value: make(key) };
    return last.value;
  };
}
