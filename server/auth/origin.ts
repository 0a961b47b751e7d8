/**
 * Whether a browser page from `origin` may act on this server: no Origin header (not a browser), the
 * server's own host, or an allowed origin. Guards WebSocket upgrades (cross-site WebSocket hijacking:
 * the browser sends the session cookie with any page's upgrade) and state-changing API requests.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
