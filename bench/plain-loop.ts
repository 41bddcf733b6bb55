/**
 * The baseline: a plain Node loop, `fetch` with at most `concurrency` calls in flight, no Temporal.
 * What a careful script reaches against the same API in the same run.
 */
export async function plainLoop(ids: string[], apiUrl: string, token: string, concurrency: number): Promise<number> {
  let next = 0;
  let ok = 0;
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const res = await fetch(apiUrl + encodeURIComponent(id), {
        headers: { authorization: `Bearer ${token}`, 'cache-control': 'no-cache' },
      });
      await res.text();
      if (res.ok) ok++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return ok;
}
