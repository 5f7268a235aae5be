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

describe('the layer rule (DESIGN.md §3)', () => {
  for (const [file, source, fires] of cases) {
    const firstImport = /from '([^']+)'/.exec(source)?.[1];
    it(`${fires ? 'rejects' : 'allows'} ${firstImport} in ${file.split('/')[0]}`, async () => {
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
