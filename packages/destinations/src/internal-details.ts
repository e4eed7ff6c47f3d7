/**
 * Failure messages reach tenants (a delivery's lastError, its attempt log, the test endpoint),
 * and the errors they are made from can name Sluice's own network: the endpoint a VPC endpoint
 * override points at, a proxy's address, the port of an emulator. Those are replaced before a
 * message leaves; AWS's public hosts and ARNs, which the tenant gave or can look up, stay.
 */

const URL_PATTERN = /\b[a-z][a-z\d+.-]*:\/\/[^\s'"<>()]+/gi;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g;
const BRACKETED_IPV6 = /\[[\da-f:.]+\](?::\d{1,5})?/gi;
// Node's network errors name the host or address after their code: getaddrinfo ENOTFOUND vpce-1.internal,
// connect ECONNREFUSED ::1:4566
const AFTER_NETWORK_CODE = /\b(E[A-Z_]{3,})\s+[^\s,;)]*[.:][^\s,;)]*/g;
// host:port outside a URL, e.g. "connect ECONNREFUSED sqs.internal:4566"
const HOST_AND_PORT = /\b(?:(?:[a-z\d-]+\.)+[a-z][a-z\d-]*|localhost):\d{2,5}\b/gi;

const PUBLIC_AWS_HOST = /(?:^|\.)amazonaws\.com(?:\.cn)?$/i;

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

export function withoutInternalDetails(message: string): string {
  return message
    .replace(URL_PATTERN, (url) => {
      const host = hostOf(url);
      return host && PUBLIC_AWS_HOST.test(host) ? url : '<internal endpoint>';
    })
    .replace(BRACKETED_IPV6, '<internal address>')
    .replace(IPV4, '<internal address>')
    .replace(AFTER_NETWORK_CODE, '$1 <internal address>')
    .replace(HOST_AND_PORT, (match) =>
      PUBLIC_AWS_HOST.test(match.split(':')[0] ?? '') ? match : '<internal address>',
    );
}
