// Waiting for a condition with a deadline, never a bare sleep.

/** Resolves with condition()'s first truthy value, polled every 20 ms; rejects after timeoutMs naming what. */
export async function waitFor(what, condition, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
