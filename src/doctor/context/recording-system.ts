/**
 * Wraps a SystemAccess and remembers every answer, so a real run inside a
 * namespace becomes a unit-test fixture (`mmproxy doctor --record FILE`).
 */
import { recordKey, repeatedKey, type SystemAccess } from './system-access.js';

export type Recording = Record<string, unknown>;

export function recordingSystem(inner: SystemAccess): { system: SystemAccess; recording: Recording } {
  const recording: Recording = {};
  const calls = new Map<string, number>();
  // A question asked again (the firewall read before and after a probe) is kept under `KEY #2`, ... .
  const remember = <T>(key: string, value: Promise<T>): Promise<T> => {
    const call = (calls.get(key) ?? 0) + 1;
    calls.set(key, call);
    return value.then((answer) => {
      recording[repeatedKey(key, call)] = answer;
      return answer;
    });
  };
  const system: SystemAccess = {
    exec: (file, args) => remember(recordKey.exec(file, args), inner.exec(file, args)),
    readFile: (path) => remember(recordKey.readFile(path), inner.readFile(path)),
    listDir: (path) => remember(recordKey.listDir(path), inner.listDir(path)),
    loadSubnets: (path) => remember(recordKey.loadSubnets(path), inner.loadSubnets(path)),
    probeConnect: (options) => remember(recordKey.probeConnect(options), inner.probeConnect(options)),
    probeSocketOption: (options) => remember(recordKey.probeSocketOption(options), inner.probeSocketOption(options)),
    capture: (request, during) => remember(recordKey.capture(request), inner.capture(request, during)),
    now: () => inner.now(),
  };
  return { system, recording };
}
