// Per-resource locks (docs/DESIGN.md "Who is calling, and long work"): a job holds the resources it uses —
// the pool's generator, one entropy source, later one drive or one token — and nothing else, so a
// long generation never blocks unrelated work. All of a job's resources are taken at once or none.
import { StationFailure } from '../../../src-shared/api/result';

export interface Holder {
  readonly id: string;
  readonly title: string;
}

/** Words for a resource, as a desk clerk reads them. */
function describe(resource: string): string {
  if (resource === 'pool:generate') return 'The pool generator';
  if (resource === 'pool:segments') return 'The pool';
  if (resource === 'ledger:verify') return 'The ledger verification';
  if (resource.startsWith('source:entropy:')) return 'That entropy source';
  if (resource.startsWith('source:')) return `The entropy source ${resource.slice('source:'.length)}`;
  return resource;
}

export class ResourceLocks {
  private readonly held = new Map<string, Holder>();

  /** Takes every resource for holder, or throws `busy` naming what holds the first one taken. */
  acquire(resources: readonly string[], holder: Holder): () => void {
    for (const r of resources) {
      const other = this.held.get(r);
      if (other) throw new StationFailure('busy', `${describe(r)} is in use (${other.title}); try again when that has finished.`);
    }
    for (const r of resources) this.held.set(r, holder);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const r of resources) if (this.held.get(r) === holder) this.held.delete(r);
    };
  }

  holders(): ReadonlyMap<string, Holder> {
    return this.held;
  }
}
