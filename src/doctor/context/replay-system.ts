/**
 * SystemAccess answering from a recording made by ./recording-system.ts. A
 * question the recording cannot answer throws, so a check that starts asking
 * something new fails its unit test loudly instead of reading nothing.
 */
import type { CaptureResult } from '../capture/capture-types.js';
import { recordKey, repeatedKey, type SystemAccess } from './system-access.js';
import type { Recording } from './recording-system.js';

export function replaySystem(recording: Recording, overrides: Recording = {}): SystemAccess {
  const answers: Recording = { ...recording, ...overrides };
  const calls = new Map<string, number>();
  // The n-th asking of a question gets the n-th recorded answer, or the first when only one was kept.
  const answer = <T>(key: string): Promise<T> => {
    const call = (calls.get(key) ?? 0) + 1;
    calls.set(key, call);
    const numbered = repeatedKey(key, call);
    if (numbered in answers) return Promise.resolve(answers[numbered] as T);
    return key in answers
      ? Promise.resolve(answers[key] as T)
      : Promise.reject(new Error(`fixture has no answer for: ${key}`));
  };
  let clock = 0;
  return {
    exec: (file, args) => answer(recordKey.exec(file, args)),
    readFile: (path) => answer(recordKey.readFile(path)),
    listDir: (path) => answer(recordKey.listDir(path)),
    loadSubnets: (path) => answer(recordKey.loadSubnets(path)),
    probeConnect: (options) => answer(recordKey.probeConnect(options)),
    probeSocketOption: (options) => answer(recordKey.probeSocketOption(options)),
    // As for real: the probe runs only when the capture could be opened.
    capture: async (request, during) => {
      const result = await answer<CaptureResult>(recordKey.capture(request));
      if (result.ok) await during();
      return result;
    },
    now: () => (clock += 1),
  };
}
