/** `mmproxy send TO`: puts a PROXY header (v1, v2) or a UDP header mode (every, first, spp) in front of a payload. */
import type { Argv, CommandModule } from 'yargs';

import { setExitCode } from './exit-code.js';
import type { SendArguments } from '../../send/send-options.js';

export const SEND_FLAGS = {
  protocol: { alias: 'p', type: 'string', default: 'tcp', describe: "tcp or udp, as the proxy's -p" },
  client: {
    type: 'string',
    requiresArg: true,
    describe: 'ADDR:PORT: the client the header names (the address the app should see)',
  },
  destination: {
    type: 'string',
    requiresArg: true,
    describe: 'ADDR:PORT: the address the header says the client reached (default: TO)',
  },
  header: {
    type: 'string',
    requiresArg: true,
    describe: 'TCP: v1 or v2 (default v2). UDP: every, first or spp (default every), as --udp-header',
  },
  local: {
    type: 'boolean',
    default: false,
    describe: 'A header without a client: v2 LOCAL, v1 UNKNOWN (what health checks send)',
  },
  source: { type: 'string', requiresArg: true, describe: "The local address to send from (the load balancer's)" },
  data: { type: 'string', requiresArg: true, describe: 'The payload (default: standard input)' },
  count: { type: 'number', requiresArg: true, describe: 'UDP: datagrams to send in one flow (default 1)' },
  expect: { type: 'number', requiresArg: true, describe: 'UDP: replies to wait for (default: --count; 0 for none)' },
  wait: {
    type: 'number',
    default: 3,
    describe: 'Seconds to wait for something to come back before giving up',
  },
} as const;

export const sendCommand: CommandModule<object, SendArguments> = {
  command: 'send <to>',
  describe: "Act as the load balancer: send a header and a payload to TO (mmproxy's -l) and print the reply",
  builder: (yargs: Argv) =>
    yargs
      .positional('to', { type: 'string', demandOption: true, describe: "ADDR:PORT, mmproxy's listen address" })
      .options(SEND_FLAGS)
      .example("$0 send 127.0.0.1:8443 --client 192.0.2.7:5000 --data 'hello'", 'TCP with a PROXY v2 header')
      .example(
        'echo ping | $0 send -p udp --header first --count 3 127.0.0.1:8443 --client 192.0.2.7:5000',
        'UDP as Cloudflare Spectrum sends it: the header on the first datagram only',
      )
      .epilogue(
        'Prints what comes back on standard output. Exit 0 when the other side answered (TCP: closed or went quiet ' +
          'after answering; UDP: --expect replies), 1 when nothing came back or the connection failed (with what ' +
          'to look at), 2 for a usage error.',
      ),
  handler: async (argv) => {
    const { sendOptions } = await import('../../send/send-options.js');
    const { send } = await import('../../send/send.js');
    const code = await send(sendOptions(argv), {
      stdin: process.stdin,
      stdout: process.stdout,
      err: (line) => process.stderr.write(`${line}\n`),
    });
    setExitCode(argv, code);
  },
};
