/** Whether a URL's host is this machine: the one place plain http is accepted for a credential's exchange. */
export function isLoopback(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}
