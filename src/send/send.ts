/** `mmproxy send`: a load balancer in one command, to test a proxy and its routing without one. */
import { sendTcp, type SendIo } from './tcp-send.js';
import { sendUdp } from './udp-send.js';
import type { SendOptions } from './send-options.js';

export function send(options: SendOptions, io: SendIo): Promise<number> {
  return options.protocol === 'tcp' ? sendTcp(options, io) : sendUdp(options, io);
}
