// The projects an orchestrator takes work from (issue 13 §1): the network descriptor's `projects`,
// keys given on the command line (`--project-key`, for networks without a descriptor), and its own
// local demo project (the demo is an ordinary project: demo.ts). A request signed by any other key
// is refused.
import { parseFingerprint } from '../../../../src-shared/protocol/did-key.js';
import type { NetworkProject } from '../../../../src-shared/network/network-descriptor.js';

export interface ProjectInfo extends NetworkProject {
  /** Where the orchestrator learnt of it. */
  readonly source: 'network' | 'flag' | 'local';
}

export class Projects {
  private readonly byKey = new Map<string, ProjectInfo>();

  constructor(projects: readonly ProjectInfo[] = []) {
    for (const project of projects) this.add(project);
  }

  /** Adds a project (the first one named with a key wins); throws for a key that is no key. */
  add(project: ProjectInfo): void {
    parseFingerprint(project.key);
    if (!this.byKey.has(project.key)) this.byKey.set(project.key, project);
  }

  get(key: string): ProjectInfo | undefined {
    return this.byKey.get(key);
  }

  list(): ProjectInfo[] {
    return [...this.byKey.values()];
  }

  get size(): number {
    return this.byKey.size;
  }
}
