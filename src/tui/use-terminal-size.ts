/** The terminal's size, following resizes; 80×24 when stdout is not a terminal. */
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

const FALLBACK_SIZE = { columns: 80, rows: 24 };

export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = (): { columns: number; rows: number } => ({
    columns: stdout.columns || FALLBACK_SIZE.columns,
    rows: stdout.rows || FALLBACK_SIZE.rows,
  });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = (): void => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
