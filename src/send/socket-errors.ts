/** What a failed connection or send means for someone testing a proxy, and what to look at next. */
import { formatEndpoint, type Endpoint } from '../base/net/endpoint.js';

export function explainSocketError(error: NodeJS.ErrnoException, to: Endpoint): string {
  const where = formatEndpoint(to);
  switch (error.code) {
    case 'ECONNREFUSED':
      return `nothing listens on ${where}: is mmproxy running with -l ${where}?`;
    case 'ECONNRESET':
      return (
        `${where} reset the connection: mmproxy refused the header (its log names the reason) ` +
        'or could not reach the target (mmproxy doctor)'
      );
    case 'EADDRNOTAVAIL':
      return `the --source address is not one of this host's: ${error.message}`;
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return `no route to ${where}: ${error.message}`;
    default:
      return `${where}: ${error.message}`;
  }
}
