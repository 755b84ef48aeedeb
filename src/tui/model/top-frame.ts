/**
 * The whole frame as plain data, a pure function of the state: which screen
 * (waiting for data, the key help, or the live view), and for the live view
 * every line's text, already cut to the terminal. The components only draw
 * it; `--once` draws the same frame.
 */
import type { FeedProblem } from '../stats-feed.js';
import type { FailuresModel } from './failures.js';
import { tableModel, type TableModel } from './flow-table.js';
import { footerModel, type FooterModel } from './footer.js';
import { fit } from './format.js';
import { headerModel, type HeaderModel } from './header.js';
import { keyHelp, type KeyHelp } from './key-map.js';
import { severalListeners } from './listeners.js';
import { problemTitle, retryText, staleBanner } from './problem-text.js';
import type { TopState } from './top-state.js';
import { SPARE_LINES, viewport } from './viewport.js';

export interface ProblemText {
  readonly title: string;
  readonly message: string;
  readonly retry: string;
}

export interface LiveFrame {
  readonly kind: 'live';
  readonly width: number;
  /** Above data that is no longer live: what happened and how old the data is. */
  readonly staleBanner: string | null;
  readonly header: HeaderModel;
  readonly table: TableModel;
  readonly failures: FailuresModel;
  readonly footer: FooterModel;
}

export interface HelpFrame {
  readonly kind: 'help';
  readonly width: number;
  /** Key names padded to one width, so the descriptions line up. */
  readonly rows: readonly KeyHelp[];
  /** Rows a short terminal has no room for. */
  readonly hidden: number;
}

export interface StatusFrame {
  readonly kind: 'status';
  readonly width: number;
  /** Null while the first connection is being made. */
  readonly problem: ProblemText | null;
}

export type TopFrame = LiveFrame | HelpFrame | StatusFrame;

/** The help's title line and its closing hint. */
const HELP_FIXED_LINES = 2;

function problemText(problem: FeedProblem): ProblemText {
  return { title: problemTitle(problem), message: problem.message, retry: retryText(problem) };
}

function helpFrame(state: TopState): HelpFrame {
  const all = keyHelp(severalListeners(state.shown.snapshot) || state.listener !== null);
  const keysWidth = Math.max(...all.map((row) => row.keys.length));
  const room = Math.max(1, state.size.rows - HELP_FIXED_LINES - SPARE_LINES);
  const rows = all.slice(0, room).map((row) => ({ keys: fit(row.keys, keysWidth), does: row.does }));
  return { kind: 'help', width: state.size.columns, rows, hidden: all.length - rows.length };
}

export function topFrame(state: TopState): TopFrame {
  const width = state.size.columns;
  if (state.help) return helpFrame(state);
  const view = viewport(state);
  const { snapshot, problem } = state.shown;
  if (!snapshot || !view) return { kind: 'status', width, problem: problem ? problemText(problem) : null };
  const { table, position } = tableModel(state, snapshot, view);
  return {
    kind: 'live',
    width,
    staleBanner: staleBanner(state.shown),
    header: headerModel(snapshot, width, state.paused),
    table,
    failures: view.failures,
    footer: footerModel({ ...state, severalListeners: severalListeners(snapshot), position }),
  };
}
