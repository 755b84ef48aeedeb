/** Prints the demo's walk-through in plain steps; colour only on a terminal. */
const useColour = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;

function paint(code: string, text: string): string {
  return useColour ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export class Narrator {
  private stepNumber = 0;

  step(title: string): void {
    this.stepNumber += 1;
    process.stdout.write(`\n${paint('1', `${this.stepNumber}. ${title}`)}\n`);
  }

  info(text: string): void {
    process.stdout.write(`   ${text}\n`);
  }

  command(text: string): void {
    process.stdout.write(`   ${paint('2', '$')} ${text}\n`);
  }

  ok(text: string): void {
    process.stdout.write(`   ${paint('32', '✔')} ${text}\n`);
  }

  problem(text: string): void {
    process.stdout.write(`   ${paint('31', '✘')} ${text}\n`);
  }

  /** Indents a block of another program's output under the current step. */
  quote(text: string): void {
    for (const line of text.trimEnd().split('\n')) process.stdout.write(`   ${paint('2', '│')} ${line}\n`);
  }
}
