/** 127.0.0.0/8, ::1 and localhost: names and addresses no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return name === "localhost" || name === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** The Host header names this machine's loopback ("127.0.0.1:4000", "localhost", "[::1]:4000"). */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  if (!header) return false;
  try {
    return isLoopbackHost(new URL(`http://${header}`).hostname);
  } catch {
    return false;
  }
}
