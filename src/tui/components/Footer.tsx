/** The keys, or the filter being typed, and where the table is scrolled to. */
import { Text } from 'ink';

import type { SortKey } from '../model/flow-view.js';

export interface FooterProps {
  sort: SortKey;
  paused: boolean;
  filter: string;
  editingFilter: boolean;
  /** "3-15/42": rows shown of the flows that match. */
  position: string;
}

export function Footer({ sort, paused, filter, editingFilter, position }: FooterProps) {
  if (editingFilter) {
    return (
      <Text wrap="truncate">
        <Text bold>filter:</Text> {filter}
        <Text inverse> </Text> <Text dimColor>Enter keep · Esc clear</Text>
      </Text>
    );
  }
  return (
    <Text wrap="truncate">
      <Text bold>q</Text> quit <Text bold>s</Text> sort:{sort} <Text bold>p</Text> {paused ? 'resume' : 'pause'}{' '}
      <Text bold>/</Text> {filter ? `filter:${filter}` : 'filter'} <Text bold>↑↓</Text> {position}
    </Text>
  );
}
