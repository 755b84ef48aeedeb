/**
 * The keys hook: hands every key press to the view model as it comes.
 * What a press means depends on the state it lands in (typing a filter,
 * the help open), so the reducer decides that, not this hook.
 */
import { useInput } from 'ink';
import type { Dispatch } from 'react';

import type { TopEvent } from './model/top-state.js';

export function useTopKeys(dispatch: Dispatch<TopEvent>): void {
  useInput((input, key) => dispatch({ type: 'key', press: { input, key } }));
}
