// What a task is, in words a volunteer reads (issue 14 §1). Tasks carry no project (receipts do,
// after validation), so a task is named by what can be known of it here: the demo workloads by
// their module's hash (the repo's own builds), anything else by its kind. When the network
// descriptor names projects and tasks name theirs, this is where that goes.
import type { WorkloadInfo } from '../../../src-shared/control/work-view.js';
import { isWasiTask, type AnyTask } from '../../../src-shared/vnode/workload.js';
import { DEMO_WORKLOADS, type DemoWorkload, loadDemoModule, loadWasiDemoModule } from '../../kernel/workloads/demo/demo-workloads.js';

const DEMO_INFO: Readonly<Record<DemoWorkload, Omit<WorkloadInfo, 'moduleHash'>>> = {
  mandelbrot: {
    kind: 'mandelbrot-demo',
    name: 'Mandelbrot demo',
    description: 'Draws a picture of the Mandelbrot set, one small tile per task. A demonstration the network runs to keep its volunteers busy.',
    url: null,
  },
  primes: {
    kind: 'primes-demo',
    name: 'Prime counting demo',
    description: 'Counts the prime numbers in a range, one slice per task. A demonstration the network runs to keep its volunteers busy.',
    url: null,
  },
};

export class WorkloadCatalogue {
  private readonly demos = new Map<string, DemoWorkload>();

  /**
   * Learns the demo modules' hashes, as WebAssembly modules and as the WASI programs the demo
   * project submits (from the files the package ships; a missing one is simply not recognised).
   */
  async load(): Promise<void> {
    for (const name of DEMO_WORKLOADS) {
      for (const load of [loadDemoModule, loadWasiDemoModule]) {
        try {
          this.demos.set((await load(name)).hash, name);
        } catch {
          // Not shipped here: tasks of it read as an ordinary program.
        }
      }
    }
  }

  /** The demo a module is, if it is one. */
  demoOf(moduleHash: string): DemoWorkload | null {
    return this.demos.get(moduleHash) ?? null;
  }

  describe(task: AnyTask): WorkloadInfo {
    const demo = this.demoOf(task.moduleHash);
    if (demo !== null) return { ...DEMO_INFO[demo], moduleHash: task.moduleHash };
    if (isWasiTask(task)) {
      return { kind: 'wasi-program', name: 'A program', description: 'A command-line program compiled to WebAssembly, running in a sandbox that sees only its own files.', url: null, moduleHash: task.moduleHash };
    }
    return { kind: 'program', name: 'A program', description: 'A WebAssembly module running in a sandbox with no access to your files or network.', url: null, moduleHash: task.moduleHash };
  }
}
