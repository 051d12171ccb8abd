import { NoReverseMatch } from '../exceptions';

/** One level of `include()` namespaces: which instances each application has, and their levels. */
interface NamespaceLevel {
  /** Application namespace -> its instance namespaces, the last deployed first (Django's `app_dict`). */
  readonly apps: Map<string, string[]>;
  readonly children: Map<string, NamespaceLevel>;
}

/**
 * The URL conf's namespaces, level by level, so `reverse('app:name')` can turn an application
 * namespace into one of its instance namespaces as Django's `reverse()` does. Built once.
 */
export class NamespaceTree {
  readonly #root: NamespaceLevel = { apps: new Map(), children: new Map() };

  /** Records a route's instance namespaces and their application namespaces (outermost first). */
  add(namespaces: readonly string[], appNames: readonly string[]): void {
    let level = this.#root;
    namespaces.forEach((namespace, depth) => {
      const appName = appNames[depth] ?? namespace;
      const instances = level.apps.get(appName);
      // Last deployed first, as Django's app_dict (built from the patterns in reverse).
      if (instances === undefined) level.apps.set(appName, [namespace]);
      else if (!instances.includes(namespace)) instances.unshift(namespace);
      let child = level.children.get(namespace);
      if (child === undefined) {
        child = { apps: new Map(), children: new Map() };
        level.children.set(namespace, child);
      }
      level = child;
    });
  }

  /**
   * `name` with each namespace that is an application namespace replaced by the instance Django
   * picks: `currentApp`'s at that level when it is one of the application's, else the default
   * instance (named as the application), else the last deployed. Throws `NoReverseMatch` for a
   * namespace nobody registered.
   */
  instanceName(name: string, currentApp: string | null): string {
    if (!name.includes(':')) return name;
    const path = name.split(':');
    const view = path.pop()!;
    let current = currentApp ? currentApp.split(':') : null;
    let level: NamespaceLevel | undefined = this.#root;
    const resolved: string[] = [];
    for (let namespace of path) {
      const currentNamespace = current !== null && current.length > 0 ? current.shift()! : null;
      const instances: string[] | undefined = level.apps.get(namespace);
      if (instances !== undefined) {
        if (currentNamespace !== null && instances.includes(currentNamespace)) namespace = currentNamespace;
        else if (!instances.includes(namespace)) namespace = instances[0]!;
      }
      // Once the path leaves the current application, Django stops following currentApp.
      if (namespace !== currentNamespace) current = null;
      const next: NamespaceLevel | undefined = level.children.get(namespace);
      if (next === undefined) {
        const inside = resolved.length === 0 ? '' : ` inside '${resolved.join(':')}'`;
        throw new NoReverseMatch(`'${namespace}' is not a registered namespace${inside}`);
      }
      level = next;
      resolved.push(namespace);
    }
    return [...resolved, view].join(':');
  }
}
