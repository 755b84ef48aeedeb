/** What services/client.js prints as its single line of JSON. */
export interface ClientResult {
  ok: boolean;
  error?: string;
  localAddress?: string;
  localPort?: number;
  /** From the server's `PEER <address> <port>` banner, when --expect-peer was given. */
  peer?: { address: string; port: number };
  sentBytes: number;
  sentSha256: string;
  /** Everything after the banner. */
  receivedBytes: number;
  receivedSha256: string;
}
