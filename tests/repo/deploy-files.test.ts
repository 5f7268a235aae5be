// The operator kit (issue 12 §3) names only flags the CLI has: every option in the systemd units'
// ExecStart and in compose.yaml's commands is checked against `pnode <command> --help`.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNODE_BIN } from '../support/nodes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const help = new Map<string, string>();
function helpOf(command: string): string {
  if (!help.has(command)) help.set(command, execFileSync(process.execPath, [PNODE_BIN, command, '--help'], { encoding: 'utf8' }));
  return help.get(command)!;
}

function expectKnown(command: string, flags: readonly string[], where: string): void {
  const text = helpOf(command);
  for (const flag of flags) expect(text, `${where}: pnode ${command} has no ${flag}`).toMatch(new RegExp(`\\s${flag.replace(/[-]/g, '\\-')}(\\s|$)`, 'm'));
}

describe('the operator kit', () => {
  it('systemd units run pnode with flags it has, hardened', () => {
    const dir = join(ROOT, 'deploy', 'systemd');
    const units = readdirSync(dir).filter((f) => f.startsWith('pnode-') && f.endsWith('.service') && !f.includes('backup'));
    expect(units.sort()).toEqual(['pnode-dht-bootstrap.service', 'pnode-directory.service', 'pnode-orchestrator.service']);
    for (const unit of units) {
      const text = readFileSync(join(dir, unit), 'utf8');
      const exec = /ExecStart=\/usr\/bin\/pnode ([\w-]+)((?:.|\\\n)*?)\n(?!\s)/.exec(text);
      expect(exec, unit).not.toBeNull();
      const flags = [...exec![2]!.matchAll(/(--[a-z-]+)/g)].map((m) => m[1]!);
      expectKnown(exec![1]!, flags, unit);
      for (const line of ['DynamicUser=yes', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'Restart=on-failure']) expect(text, unit).toContain(line);
      expect(text, unit).not.toContain('MemoryDenyWriteExecute=yes');
    }
  });

  it('compose.yaml runs pnode with flags it has', () => {
    const text = readFileSync(join(ROOT, 'compose.yaml'), 'utf8');
    const commands = [...text.matchAll(/command:\n((?:\s+- .+\n)+)/g)].map((m) => m[1]!.split('\n').map((l) => l.trim().replace(/^- /, '')).filter(Boolean));
    expect(commands.map((c) => c[0])).toEqual(['orchestrator', 'directory']);
    for (const [command, ...args] of commands) expectKnown(command!, args.map((a) => a.split('=')[0]!), `compose ${command}`);
  });
});
