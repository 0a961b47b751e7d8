/** A stand-in origin to resolve paths against: whatever resolves elsewhere is not a path on this site. */
const BASE = 'https://tandem.invalid/';
const BASE_ORIGIN = 'https://tandem.invalid';

/**
 * Where to go after signing in: the `next` query parameter, but only a path on this site. Anything
 * else (another origin, a scheme, "//host", a backslash trick) becomes "/", so a crafted sign-in
 * link cannot send someone to another site after they typed their password.
 */
export function safeNext(raw: string | null | undefined): string {
  if (typeof raw !== 'string' || raw === '') return '/';
  // Only absolute paths; "//" and "/\" would be read by browsers as another host.
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  // Control characters (tabs and newlines are stripped by URL parsers, hiding a "//").
  if (/[\u0000-\u001f\u007f]/.test(raw)) return '/';
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return '/';
  }
  if (url.origin !== BASE_ORIGIN) return '/';
  // Never back to the sign-in pages themselves.
  if (url.pathname === '/signin' || url.pathname === '/register') return '/';
  // Dot segments normalise away: "/.//evil.example/x" has the pathname "//evil.example/x", which,
  // navigated to, is another host. So the result itself must still resolve to this origin.
  const next = `${url.pathname}${url.search}${url.hash}`;
  if (next.startsWith('//') || next.startsWith('/\\') || new URL(next, BASE).origin !== BASE_ORIGIN) return '/';
  return next;
}

/** A link to the sign-in (or register) page that comes back to `path` afterwards. */
export function signInHref(path: string, page: '/signin' | '/register' = '/signin'): string {
  const next = safeNext(path);
  return next === '/' ? page : `${page}?next=${encodeURIComponent(next)}`;
}
