/** Symbols and colours of the human report; plain text when colour is off. */
import type { CheckStatus } from '../types.js';

export const SYMBOL: Record<CheckStatus, string> = { ok: '✔', warn: '⚠', fail: '✘', skip: '-', crash: '!' };

const COLOUR: Record<CheckStatus, number> = { ok: 32, warn: 33, fail: 31, skip: 2, crash: 35 };

export interface Paint {
  status(status: CheckStatus, text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

export function paint(colour: boolean): Paint {
  const sgr = (code: number, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    status: (status, text) => sgr(COLOUR[status], text),
    bold: (text) => sgr(1, text),
    dim: (text) => sgr(2, text),
  };
}
