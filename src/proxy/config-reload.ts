/**
 * SIGHUP with a config file: read and check it again, as at start (subnet files included). A file with any
 * mistake changes nothing: one reload_failed line lists every mistake. Otherwise the listeners are matched
 * by name (./reload-plan.ts) and the difference applied: removed ones drain, changed ones are replaced,
 * added ones start (each with its `listening` line, as at start); an unchanged one gets its subnet file's new
 * content. One `reload` line says what happened. Reloads run one after another, never interleaved.
 */
import { configMistakes, type RunnableConfig } from '../config/runnable-config.js';
import type { NamedListener, ProcessOptions } from '../config/proxy-config.js';
import { ListenerStartError, type ListenerSet } from './listener-set.js';
import { logListening } from './listener-lines.js';
import type { Logger } from './log/logger.js';
import { plural } from './log/plural.js';
import { planProcessReload } from './process-reload.js';
import { planReload } from './reload-plan.js';

export interface ConfigReloadContext {
  file: string;
  load(file: string): Promise<RunnableConfig>;
  set: ListenerSet;
  logger: Logger;
  /** The process settings in force. */
  process(): ProcessOptions;
  /** Puts a reload's process settings in force (log verbosity and format, drain timeout). */
  applyProcess(options: ProcessOptions): void;
}

function sameSubnets(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((cidr, index) => cidr === b[index]);
}

export class ConfigReloader {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly context: ConfigReloadContext) {}

  /** Queues one reload. */
  request(): void {
    this.queue = this.queue.then(() => this.reload());
  }

  /** Resolves when every requested reload is done. */
  settled(): Promise<void> {
    return this.queue;
  }

  private async reload(): Promise<void> {
    const { file, logger } = this.context;
    let loaded: RunnableConfig;
    try {
      loaded = await this.context.load(file);
    } catch (error) {
      const mistakes = configMistakes(file, error) ?? [error instanceof Error ? error.message : String(error)];
      logger.log(
        'error',
        'reload_failed',
        `SIGHUP: ${file}: ${plural(mistakes.length, 'mistake')}, nothing changed: ${mistakes.join('; ')}`,
      );
      return;
    }
    this.applyProcess(loaded.config.process);
    for (const note of loaded.notes) logger.log('warn', 'allowed_subnets', note);
    this.applyListeners(loaded);
  }

  private applyProcess(wanted: ProcessOptions): void {
    const { applied, needsRestart } = planProcessReload(this.context.process(), wanted);
    for (const line of needsRestart) this.context.logger.log('warn', 'reload', `SIGHUP: ${line}`);
    this.context.applyProcess(applied);
  }

  private applyListeners({ config, subnets }: RunnableConfig): void {
    const { set, logger, file } = this.context;
    const process = this.context.process();
    const plan = planReload(set.serving(), config.listeners);
    const subnetsOf = (name: string) => subnets.get(name) ?? [];
    const failed: string[] = [];
    const tryStart = (listener: NamedListener, start: () => void): void => {
      const name = listener.name;
      try {
        start();
        logListening(listener, set, logger, file);
      } catch (error) {
        if (!(error instanceof ListenerStartError)) throw error;
        logger.log('error', 'start_failed', `SIGHUP: ${error.message}`, { listener: name });
        failed.push(name);
      }
    };
    // Removed first: a port one listener gives up may be taken by another the same reload adds.
    for (const listener of plan.removed) set.remove(listener.name, process.drainTimeoutMs);
    for (const change of plan.changed) {
      const name = change.after.name;
      tryStart(change.after, () => set.replace(change, subnetsOf(name), process, process.drainTimeoutMs));
    }
    for (const listener of plan.added) {
      tryStart(listener, () => set.start(listener, subnetsOf(listener.name), process));
    }
    let subnetsUpdated = 0;
    for (const listener of plan.unchanged) {
      const wanted = subnetsOf(listener.name);
      if (sameSubnets(set.subnetsOf(listener.name), wanted)) continue;
      set.setSubnets(listener.name, wanted);
      subnetsUpdated++;
    }
    const names = (listeners: { name: string }[]): string => listeners.map((listener) => listener.name).join(', ');
    const parts = [
      plan.added.length > 0 ? `added ${names(plan.added)}` : '',
      plan.removed.length > 0 ? `removed ${names(plan.removed)}` : '',
      plan.changed.length > 0 ? `changed ${names(plan.changed.map((change) => change.after))}` : '',
      `${plan.unchanged.length} unchanged` +
        (subnetsUpdated > 0 ? ` (${subnetsUpdated} with new allowed subnets)` : ''),
      failed.length > 0 ? `not running: ${failed.join(', ')} (start_failed says why)` : '',
    ].filter((part) => part !== '');
    logger.log(
      failed.length > 0 ? 'warn' : 'info',
      'reload',
      `SIGHUP: ${file}: ${plural(config.listeners.length, 'listener')}: ${parts.join('; ')}`,
    );
  }
}
