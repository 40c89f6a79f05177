import { expect } from 'vitest';

/**
 * Runs a store call that must report failure by rejecting: a synchronous throw escapes callers
 * that only handle rejections (`.catch`, `Promise.allSettled`). Resolves to the rejection reason;
 * fails the test when the call throws, returns no promise, or resolves.
 */
export async function rejectionOf(call: () => unknown): Promise<unknown> {
  let returned: unknown;
  expect(() => {
    returned = call();
  }, 'a synchronous throw instead of a rejected promise').not.toThrow();
  expect(returned).toBeInstanceOf(Promise);
  return (returned as Promise<unknown>).then(
    () => expect.fail('resolved instead of rejecting'),
    (reason: unknown) => reason,
  );
}

/** A caller's mistake: a RangeError, never reported as the store being down. */
export async function expectCallerError(call: () => unknown, label: string): Promise<void> {
  const reason = await rejectionOf(call);
  expect(reason, label).toBeInstanceOf(RangeError);
  expect(reason, label).not.toMatchObject({ code: 'STORE_UNAVAILABLE' });
}
