/**
 * call_site.ts — gives errors from native async work the JS call site's stack (a native
 * rejection is created on an empty stack), as sharp does for its Promise API.
 */

/** Awaits `promise`; a rejection's stack becomes the frames of `site` (an Error created at the call). */
export async function settle<T>(promise: Promise<T>, site: Error): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    if (err instanceof Error && site.stack !== undefined) {
      err.stack = `${err.name}: ${err.message}\n${site.stack.split('\n').slice(1).join('\n')}`;
    }
    throw err;
  }
}
