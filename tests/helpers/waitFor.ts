/**
 * Polls `predicate` until it returns true (or a truthy value, which is returned), failing after
 * `timeoutMs` with `message`. Tests wait on conditions, never on fixed sleeps. The deadline is kept
 * on performance.now, so a test that fakes Date (to move a clock) still times out.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  message: string,
  timeoutMs = 10_000,
  intervalMs = 10,
): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${message}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
