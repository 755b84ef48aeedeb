/**
 * The footer's content: the main keys with what pressing them now does
 * (the sort in force, pause or resume, the filter), and where the table is
 * scrolled to; or, while a filter is typed, the filter and how to end it.
 */
import { sortMark, type FlowOrder } from './flow-view.js';
import { FILTER_KEY, HELP_KEY, LISTENER_KEY, PAUSE_KEY, QUIT_KEY, SCROLL_KEYS, SORT_KEY } from './key-map.js';

export interface FooterKey {
  readonly key: string;
  readonly label: string;
}

export type FooterModel =
  | { readonly kind: 'keys'; readonly keys: readonly FooterKey[] }
  | { readonly kind: 'filter'; readonly filter: string; readonly hint: string };

export interface FooterInputs {
  readonly order: FlowOrder;
  readonly paused: boolean;
  readonly filter: string;
  readonly editingFilter: boolean;
  /** The listener shown; null: all. */
  readonly listener: string | null;
  /** Whether there are listeners to choose from; without, the footer is as it was before listeners. */
  readonly severalListeners: boolean;
  /** "3-15/42": rows shown of the flows that match. */
  readonly position: string;
}

export function sortLabel(order: FlowOrder): string {
  return `sort:${order.key}${sortMark(order)}`;
}

export function footerModel({
  order,
  paused,
  filter,
  editingFilter,
  listener,
  severalListeners,
  position,
}: FooterInputs): FooterModel {
  if (editingFilter) return { kind: 'filter', filter, hint: 'Enter keep · Esc clear' };
  return {
    kind: 'keys',
    keys: [
      { key: QUIT_KEY, label: 'quit' },
      { key: HELP_KEY, label: 'help' },
      { key: SORT_KEY, label: sortLabel(order) },
      { key: PAUSE_KEY, label: paused ? 'resume' : 'pause' },
      { key: FILTER_KEY, label: filter ? `filter:${filter}` : 'filter' },
      ...(severalListeners || listener !== null ? [{ key: LISTENER_KEY, label: `listener:${listener ?? 'all'}` }] : []),
      { key: SCROLL_KEYS, label: position },
    ],
  };
}
