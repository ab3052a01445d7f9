import { watch, type FSWatcher } from 'chokidar';

/**
 * Watches the files an editor changes (templates, locale strings, articles, subscriber lists,
 * the config) and tells every open preview page, debounced so a save that writes several files
 * reloads once.
 */
export class LiveReload {
  private readonly listeners = new Set<() => void>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  start(paths: string[]): Promise<void> {
    this.watcher = watch(paths, { ignoreInitial: true, ignored: (p) => /(^|[/\\])(\.|node_modules)/.test(p.split(/[/\\]/).pop() ?? '') });
    this.watcher.on('all', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.listeners.forEach((l) => l()), 100);
    });
    return new Promise((resolve) => this.watcher!.on('ready', () => resolve()));
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.listeners.clear();
    await this.watcher?.close();
  }
}
