/** A client behind a pretend load balancer: connects to mmproxy on loopback and sends a PROXY v1 header first. */
import type { Host, HostProcess } from '../../../../lab/index.js';

/** Sends the header naming client, then "hello"; prints the service's first line (PEER …) once "hello" echoes. */
const SCRIPT = `
const net = require('node:net');
const [port, client, clientPort, target, hold] = process.argv.slice(1);
const socket = net.connect({ host: '127.0.0.1', port: Number(port) }, () =>
  socket.write('PROXY TCP4 ' + client + ' 127.0.0.1 ' + clientPort + ' ' + target + '\\r\\nhello\\n'));
let got = '';
if (hold !== 'hold') socket.setTimeout(10000, () => { console.log('TIMEOUT ' + JSON.stringify(got)); process.exit(1); });
socket.on('data', (chunk) => {
  got += chunk;
  if (!got.includes('hello\\n')) return;
  console.log(got.split('\\n')[0]);
  if (hold !== 'hold') socket.end();
});
socket.on('error', (error) => { console.log('ERROR ' + error.message); process.exit(1); });
`;

export interface ClientAddress {
  address: string;
  port: number;
}

function args(listenPort: number, client: ClientAddress, targetPort: number, hold: boolean): string[] {
  const values = [listenPort, client.address, client.port, targetPort].map(String);
  return [process.execPath, '-e', SCRIPT, ...values, hold ? 'hold' : 'once'];
}

/** One exchange through the proxy: the service's PEER line (the address it saw), or the error. */
export async function proxiedExchange(
  host: Host,
  listenPort: number,
  client: ClientAddress,
  targetPort: number,
): Promise<string> {
  const { stdout } = await host.exec(args(listenPort, client, targetPort, false), { timeoutMs: 20_000 });
  return stdout.trim();
}

/** A connection through the proxy kept open until the process is killed; resolves once it relays. */
export async function heldConnection(
  host: Host,
  listenPort: number,
  client: ClientAddress,
  targetPort: number,
): Promise<HostProcess> {
  const child = host.spawn(args(listenPort, client, targetPort, true));
  await child.waitForOutput(/^PEER /m, 20_000, 'stdout');
  return child;
}
