// DESIGN.md §3: the import rule between runtime folders is held by the linter. These cases lint
// source text as if it sat in each folder and expect the rule to fire (or not).
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const cases: Array<[folderFile: string, source: string, fires: boolean]> = [
  ['src-shared/protocol/x.ts', "import { a } from '../../src-node/kernel/crypto/native-provider.js';\nexport const b = a;\n", true],
  ['src-shared/protocol/x.ts', "import { readFileSync } from 'node:fs';\nexport const b = readFileSync;\n", true],
  ['src-shared/protocol/x.ts', "import { createHash } from 'crypto';\nexport const b = createHash;\n", true],
  ['src-shared/protocol/x.ts', "import { app } from 'electron';\nexport const b = app;\n", true],
  ['src-shared/protocol/x.ts', "import { a } from './crypto/provider.js';\nexport const b = a;\n", false],
  ['src-node/x.ts', "import { a } from '../src-main/shell.js';\nexport const b = a;\n", true],
  ['src-node/x.ts', "import { a } from '../src-renderer/App.js';\nexport const b = a;\n", true],
  ['src-node/x.ts', "import { app } from 'electron';\nexport const b = app;\n", true],
  ['src-node/x.ts', "import { a } from '../src-shared/protocol/index.js';\nimport { readFileSync } from 'node:fs';\nexport const b = [a, readFileSync];\n", false],
  ['src-renderer/x.ts', "import { a } from '../src-node/control/server.js';\nexport const b = a;\n", true],
  ['src-renderer/x.ts', "import type { A } from '../src-main/ipc.js';\nexport type B = A;\n", true],
  ['src-renderer/x.ts', "import { ipcRenderer } from 'electron';\nexport const b = ipcRenderer;\n", true],
  ['src-renderer/x.ts', "import fs from 'fs';\nexport const b = fs;\n", true],
  ['src-renderer/x.ts', "import { a } from '../src-shared/control/contract.js';\nexport const b = a;\n", false],
  ['src-main/x.ts', "import { a } from '../src-renderer/App.js';\nexport const b = a;\n", true],
  ['src-main/x.ts', "import { app } from 'electron';\nimport { a } from '../src-node/index.js';\nexport const b = [app, a];\n", false],
];

/** One test per case: the rule fires (with its DESIGN.md message) or stays quiet. */
function describeCases(title: string, cases: Array<[folderFile: string, source: string, fires: boolean]>, where: (file: string) => string): void {
  describe(title, () => {
    for (const [file, source, fires] of cases) {
      const firstImport = /from '([^']+)'/.exec(source)?.[1];
      it(`${fires ? 'rejects' : 'allows'} ${firstImport} in ${where(file)}`, async () => {
        const messages = await restrictedImports(file, source);
        if (fires) {
          expect(messages.length).toBeGreaterThan(0);
          expect(messages[0]).toContain('DESIGN.md §3');
        } else {
          expect(messages).toEqual([]);
        }
      });
    }
  });
}

describeCases('the layer rule (DESIGN.md §3)', cases, (file) => file.split('/')[0]!);

// The second axis (DESIGN.md §3): role folders inside src-node.
const roleCases: Array<[folderFile: string, source: string, fires: boolean]> = [
  ['src-node/kernel/peers/x.ts', "import { a } from '../../contributor/membership/membership-module.js';\nexport const b = a;\n", true],
  ['src-node/kernel/peers/x.ts', "import { a } from '../../services/orchestrator/orchestrator.js';\nexport const b = a;\n", true],
  ['src-node/kernel/peers/x.ts', "import { a } from '../../control/node-control.js';\nexport const b = a;\n", true],
  ['src-node/kernel/peers/x.ts', "import { a } from '../../recipes/contributor-node.js';\nexport const b = a;\n", true],
  ['src-node/kernel/peers/x.ts', "import { a } from '../../cli/args.js';\nexport const b = a;\n", true],
  ['src-node/kernel/peers/x.ts', "import { a } from '../runtime/node-runtime.js';\nimport { c } from '../../../src-shared/control/state.js';\nexport const b = [a, c];\n", false],
  ['src-node/contributor/work/x.ts', "import { a } from '../../services/orchestrator/orchestrator.js';\nexport const b = a;\n", true],
  ['src-node/contributor/work/x.ts', "import { a } from '../../tools/devnet/devnet.js';\nexport const b = a;\n", true],
  ['src-node/contributor/work/x.ts', "import { a } from '../../kernel/connection/peer-connection.js';\nimport { c } from '../vnode/vnode-host.js';\nexport const b = [a, c];\n", false],
  ['src-node/services/orchestrator/x.ts', "import { a } from '../authority/authority-module.js';\nexport const b = a;\n", true],
  ['src-node/services/orchestrator/work/x.ts', "import { a } from '../../directory/directory-store.js';\nexport const b = a;\n", true],
  ['src-node/services/authority/x.ts', "import { a } from '../../services/orchestrator/orchestrator.js';\nexport const b = a;\n", true],
  ['src-node/services/authority/x.ts', "import { a } from '../../contributor/trust/trust-file.js';\nexport const b = a;\n", true],
  ['src-node/services/orchestrator/work/x.ts', "import { a } from '../orchestrator.js';\nimport { c } from '../../../kernel/http/admin-extension.js';\nexport const b = [a, c];\n", false],
  ['src-node/control/x.ts', "import { a } from '../contributor/availability/availability.js';\nexport const b = a;\n", true],
  ['src-node/control/x.ts', "import { a } from '../kernel/runtime/node-runtime.js';\nexport const b = a;\n", false],
  ['src-node/recipes/x.ts', "import { a } from '../cli/args.js';\nexport const b = a;\n", true],
  ['src-node/recipes/x.ts', "import { a } from '../contributor/membership/membership-module.js';\nimport { c } from '../services/orchestrator/orchestrator.js';\nexport const b = [a, c];\n", false],
  ['src-node/cli/commands/x.ts', "import { a } from '../../recipes/contributor-node.js';\nimport { c } from '../../services/directory/directory-module.js';\nexport const b = [a, c];\n", false],
  ['src-node/tools/devnet/x.ts', "import { a } from '../../services/orchestrator/admin-file.js';\nexport const b = a;\n", false],
  ['src-node/kernel/peers/x.ts', "import { app } from 'electron';\nexport const b = app;\n", true],
];

describeCases('the role rule inside src-node (DESIGN.md §3)', roleCases, (file) => file.split('/').slice(1, -1).join('/'));
