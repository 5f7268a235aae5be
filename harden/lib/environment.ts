// The first lines of every harden run: what ran, where, and how to run it again.
import { cpus, platform, arch, totalmem } from 'node:os';

export function printHeader(what: string, seed: number, scale: number): void {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  process.stdout.write(
    `harden ${what}: seed ${seed}, scale ${scale}\n` +
      `node ${process.version} on ${platform()}/${arch()}, ${cpu} ×${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB\n` +
      `replay: PNODE_HARDEN_SEED=${seed}${scale !== 1 ? ` PNODE_HARDEN_SCALE=${scale}` : ''} npm run harden -- ${what}\n\n`,
  );
}
