// The path of an HTTP request target. A target the URL parser cannot read ("//[" is one) is the
// client's error: callers refuse it, because a throw inside a 'request' or 'upgrade' handler ends
// the process (found by `npm run harden -- fuzz`).

const PLACEHOLDER_BASE = 'http://request.invalid';

/** The pathname of `target` (still percent-encoded), or undefined when it is not a valid target. */
export function requestPathname(target: string | undefined): string | undefined {
  try {
    return new URL(target ?? '/', PLACEHOLDER_BASE).pathname;
  } catch {
    return undefined;
  }
}

/** `target` as a URL (for its query too), or undefined when it is not a valid target. */
export function requestUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', PLACEHOLDER_BASE);
  } catch {
    return undefined;
  }
}
