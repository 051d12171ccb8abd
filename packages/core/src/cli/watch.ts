import { watch, readdirSync, statSync, type FSWatcher } from 'node:fs';
import { basename, join } from 'node:path';

/** Directories never watched: dependencies and version control. */
const IGNORED_DIRECTORIES = new Set(['node_modules', '.git', '.hg', '.svn']);

/** A tree being watched; `close()` stops every watcher. */
export interface TreeWatcher {
  close(): void;
}

/**
 * Watches every file under `root` (recursively, following new directories) and calls `onChange` with
 * the changed path. Skips `node_modules`, version control and dotfiles (editor swap files).
 *
 * One non-recursive `fs.watch` per directory rather than `{ recursive: true }`: on Linux, Node 20
 * implements the recursive flag by polling every file of the tree, `node_modules` included.
 */
export function watchTree(root: string, onChange: (path: string) => void): TreeWatcher {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;

  const watchDirectory = (directory: string): void => {
    if (closed || watchers.has(directory)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(directory, { persistent: true }, (_event, filename) => {
        const name = filename === null ? null : filename.toString();
        if (name !== null && ignored(name)) return;
        const changed = name === null ? directory : join(directory, name);
        if (name !== null && isDirectory(changed)) watchDirectory(changed);
        onChange(changed);
      });
    } catch {
      return; // Gone already, or unreadable.
    }
    watcher.on('error', () => {
      watcher.close();
      watchers.delete(directory);
    });
    watchers.set(directory, watcher);
    let entries;
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries)
      if (entry.isDirectory() && !ignored(entry.name)) watchDirectory(join(directory, entry.name));
  };

  watchDirectory(root);
  return {
    close() {
      closed = true;
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

function ignored(name: string): boolean {
  const base = basename(name);
  return IGNORED_DIRECTORIES.has(base) || base.startsWith('.') || base.endsWith('~');
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
