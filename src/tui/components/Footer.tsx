/** The keys, or the filter being typed, and where the table is scrolled to. */
import { Text } from 'ink';

import type { FooterModel } from '../model/footer.js';

export function Footer({ footer }: { footer: FooterModel }) {
  if (footer.kind === 'filter') {
    return (
      <Text wrap="truncate">
        <Text bold>filter:</Text> {footer.filter}
        <Text inverse> </Text> <Text dimColor>{footer.hint}</Text>
      </Text>
    );
  }
  return (
    <Text wrap="truncate">
      {footer.keys.map(({ key, label }, index) => (
        <Text key={key}>
          {index > 0 ? ' ' : ''}
          <Text bold>{key}</Text> {label}
        </Text>
      ))}
    </Text>
  );
}
