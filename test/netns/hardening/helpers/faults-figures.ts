/** The figures a fault suite prints at its end for the closing note (never asserted). */

export const MB = 1 << 20;

export const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

export class Figures {
  private readonly rows: string[] = [];

  add(what: string, value: string): void {
    this.rows.push(`  ${what}: ${value}`);
  }

  print(title: string): void {
    console.log(`\n${title}\n${this.rows.join('\n')}\n`);
  }
}
