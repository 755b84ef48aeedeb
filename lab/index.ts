/** The namespace lab: hosts, links, processes, HAProxy and the services that run on the hosts. */
export { Lab, type EndAddresses, type Link, type LinkEnd, type Route } from './lab.js';
export { Host, DEFAULT_LOOPBACK_TABLE, type WaitForPortOptions } from './host.js';
export { HostProcess, type ExitStatus, type SpawnOptions } from './host-process.js';
export type { ExecOptions, ExecResult } from './run.js';
export { netnsUnavailableReason } from './netns-available.js';
export { assertNoLeaks } from './leaks.js';
export { TIME_SCALE, scaled } from './time-scale.js';
export { Haproxy, HAPROXY, startHaproxy, type StartHaproxyOptions } from './haproxy.js';
export {
  tcpProxyConfig,
  tcpProxiesConfig,
  type Endpoint,
  type HaproxyServer,
  type TcpProxy,
  type TcpProxyOptions,
  type TcpProxyTimeouts,
} from './haproxy-config.js';
export {
  services,
  startPeerService,
  exchange,
  startStreamFlows,
  exchangeFlows,
  payload,
  sha256,
  type ClientResult,
  type ExchangeOptions,
  type StreamFlow,
  type StreamFlows,
  type StreamFlowsOptions,
  type StreamFlowsResult,
} from './services.js';
