// Network namespaces of the test's own (issue 16 §5: a node behind NAT reached by holepunch). The
// "internet" is one namespace with a bridge; each home is a namespace behind a router namespace
// that masquerades (port-preserving, endpoint-independent mapping) and drops unsolicited packets
// from outside before conntrack keeps them (address-and-port-dependent filtering): a typical home
// router. Addresses are from 198.18.0.0/15 (RFC 2544, for benchmark tests) and exist only inside
// these namespaces, which have no route to anything else.
import { execFileSync, spawnSync } from 'node:child_process';

export interface NatLab {
  /** Namespace names: the internet, and per home its router and the home itself. */
  readonly internet: string;
  readonly homes: readonly { readonly router: string; readonly home: string; readonly publicAddress: string }[];
  /** Addresses on the internet's bridge for servers (bootstrap nodes). */
  readonly serverAddresses: readonly string[];
  destroy(): void;
}

/** Why namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root (CI runs as root)';
  for (const [tool, flag] of [['ip', '-V'], ['nft', '--version']] as const) {
    if (spawnSync(tool, [flag], { stdio: 'ignore' }).status !== 0) return `${tool} is not installed (apt-get install iproute2 nftables; .ci/run does)`;
  }
  const probe = `pnprobe${process.pid}`;
  const made = spawnSync('ip', ['netns', 'add', probe], { stdio: 'ignore' }).status === 0;
  if (made) spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
  return made ? undefined : 'ip netns add is not permitted here';
}

function run(args: readonly string[], input?: string): void {
  execFileSync(args[0]!, args.slice(1), { stdio: ['pipe', 'ignore', 'pipe'], ...(input !== undefined ? { input } : {}) });
}

/** An internet with `servers` server addresses and `homes` homes, each behind its own NAT router. */
export function createNatLab(options: { homes: number; servers: number }): NatLab {
  const tag = `pn${process.pid % 100_000}`;
  const internet = `${tag}-inet`;
  const names = [internet];
  const homes: { router: string; home: string; publicAddress: string }[] = [];
  const destroy = (): void => {
    for (const name of names) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  };
  try {
    run(['ip', 'netns', 'add', internet]);
    run(['ip', '-n', internet, 'link', 'set', 'lo', 'up']);
    run(['ip', '-n', internet, 'link', 'add', 'br0', 'type', 'bridge']);
    run(['ip', '-n', internet, 'link', 'set', 'br0', 'up']);
    const serverAddresses: string[] = [];
    for (let i = 0; i < options.servers; i++) {
      const address = `198.18.0.${10 + i}`;
      run(['ip', '-n', internet, 'addr', 'add', `${address}/24`, 'dev', 'br0']);
      serverAddresses.push(address);
    }
    for (let k = 1; k <= options.homes; k++) {
      const router = `${tag}-r${k}`;
      const home = `${tag}-h${k}`;
      for (const name of [router, home]) {
        run(['ip', 'netns', 'add', name]);
        names.push(name);
        run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
      }
      const publicAddress = `198.18.0.${200 + k}`;
      run(['ip', 'link', 'add', `wan${k}`, 'netns', internet, 'type', 'veth', 'peer', 'name', 'wan', 'netns', router]);
      run(['ip', '-n', internet, 'link', 'set', `wan${k}`, 'master', 'br0']);
      run(['ip', '-n', internet, 'link', 'set', `wan${k}`, 'up']);
      run(['ip', '-n', router, 'addr', 'add', `${publicAddress}/24`, 'dev', 'wan']);
      run(['ip', '-n', router, 'link', 'set', 'wan', 'up']);
      run(['ip', 'link', 'add', 'lan', 'netns', router, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', home]);
      run(['ip', '-n', router, 'addr', 'add', `198.19.${k}.1/24`, 'dev', 'lan']);
      run(['ip', '-n', router, 'link', 'set', 'lan', 'up']);
      run(['ip', '-n', home, 'addr', 'add', `198.19.${k}.2/24`, 'dev', 'eth0']);
      run(['ip', '-n', home, 'link', 'set', 'eth0', 'up']);
      run(['ip', '-n', home, 'route', 'add', 'default', 'via', `198.19.${k}.1`]);
      run(['ip', 'netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      run(
        ['ip', 'netns', 'exec', router, 'nft', '-f', '-'],
        [
          'table ip nat {',
          '  chain postrouting { type nat hook postrouting priority 100; oifname "wan" masquerade; }',
          '}',
          'table ip filter {',
          '  chain forwarding { type filter hook forward priority 0; policy drop; ct state established,related accept; iifname "lan" accept; }',
          '  chain incoming { type filter hook input priority 0; policy accept; iifname "wan" ct state new drop; }',
          '}',
          '',
        ].join('\n'),
      );
      homes.push({ router, home, publicAddress });
    }
    return { internet, homes, serverAddresses, destroy };
  } catch (error) {
    destroy();
    throw error;
  }
}
