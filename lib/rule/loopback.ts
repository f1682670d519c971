/**
 * Loopback hosts (DESIGN §4.3a): `localhost`, `*.localhost`, 127.0.0.0/8 in dotted-quad form, `::1`.
 * Deliberately strict: an unusual spelling of loopback (`127.1`, `2130706433`) is treated as remote, so a
 * parsing gap can only raise an alert, never hide one.
 */
export function isLoopbackHost(raw: string): boolean {
  let host = raw.toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host === "localhost" || host.endsWith(".localhost")) return host.length < 254;
  if (host === "::1" || host === "0:0:0:0:0:0:0:1" || host === "::ffff:127.0.0.1") return true;
  return isLoopbackIPv4(host);
}

function isLoopbackIPv4(host: string): boolean {
  const parts = host.split(".");
  if (parts.length !== 4 || parts[0] !== "127") return false;
  for (const part of parts) {
    if (part.length === 0 || part.length > 3) return false;
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      if (c < 48 || c > 57) return false;
    }
    if (Number(part) > 255) return false;
  }
  return true;
}
