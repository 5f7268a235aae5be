// `pnode network …`: make and read network descriptors (network-descriptor.v1, DESIGN.md §1
// "Domains"). A network is owned by a key: `keygen` makes one, a file holding the 32-byte Ed25519
// seed as 64 hex digits, created with mode 0600 and never overwritten; `create` signs a descriptor
// with it (--owner-key-file K, or --owner-secret-key-hex H for scripts) and, for a private
// network, can write a fresh random pre-shared key (--psk-out, 0600, never overwritten). The
// descriptor itself is public: hand it to every member. The key file must not be readable by
// other users; `create` refuses one that is. `show` verifies a descriptor and prints it.
//
// Exit codes (run.ts): 0 done; 1 a descriptor was refused (its protocol code is printed);
// 2 bad usage, an unreadable file, or an existing file in the way.
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { CommandContext, CommandSpec } from '../args.js';
import { UsageError } from '../args.js';
import { EXIT_OK } from '../run.js';
import { secretKeyArgument, timestampArgument } from '../input.js';
import { type CryptoProvider, ED25519_SEED_LENGTH } from '../../../src-shared/protocol/crypto/provider.js';
import { nodeIdFromPublicKey } from '../../../src-shared/protocol/did-key.js';
import { toHex } from '../../../src-shared/protocol/encoding/hex.js';
import {
  DAY_MS,
  JOIN_POLICIES,
  NETWORK_DESCRIPTOR_DEFAULT_VALID_DAYS,
  NETWORK_DESCRIPTOR_MAX_VALID_DAYS,
  NETWORK_PSK_LENGTH,
  type JoinPolicy,
  type NetworkDescriptor,
  buildNetworkDescriptor,
  formatPsk,
  parseNodeAtUrl,
} from '../../../src-shared/network/network-descriptor.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { type Clock, systemClock } from '../../kernel/util/clock.js';
import { FileExistsError, createFileAtomic } from '../../kernel/storage/exclusive-file.js';
import { writeFileAtomic } from '../../kernel/storage/atomic-file.js';
import { SECRET_FILE_MAX_BYTES, readNetworkDescriptorFile, readPskFile, readableByOthers } from '../config/network-flags.js';
import { EXIT_REJECTED } from '../run.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { acceptNetworkDescriptor, httpsInviteLink, inviteLink, parseInvite, referenceInviteLink } from '../../../src-shared/network/invite.js';
import { NETWORK_TRUST_ROOT_MAX_CHARS } from '../../../src-shared/network/network-descriptor.js';
import { fetchNetworkDescriptor } from '../../kernel/network/descriptor-fetch.js';
import { runNetworkDoctor } from '../../kernel/network/network-doctor.js';
import { inviteQrText, INVITE_QR_MAX_CHARS } from '../qr-text.js';
import { invitePage } from '../invite-page.js';

/** Owner keys and network keys are written readable by their owner only. */
export const SECRET_FILE_MODE = 0o600;

export interface NetworkCommandDeps {
  readonly crypto?: CryptoProvider;
  readonly clock?: Clock;
}

function path(context: CommandContext, name: string): string {
  const value = context.args.options[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return resolve(context.cwd, value);
}

async function createSecretFile(file: string, text: string, option: string): Promise<void> {
  try {
    await createFileAtomic(file, text, { mode: SECRET_FILE_MODE });
  } catch (error) {
    if (error instanceof FileExistsError) throw new UsageError(`${option} ${file} already exists; a key file is never overwritten`);
    throw error;
  }
}

/** The owner's signing seed: from a 0600 key file (64 hex digits) or, for scripts, the command line. */
async function ownerSeed(context: CommandContext): Promise<Uint8Array> {
  const file = context.args.options['owner-key-file'];
  const hex = context.args.options['owner-secret-key-hex'];
  if ((file === undefined) === (hex === undefined)) throw new UsageError('give the owner key with exactly one of --owner-key-file or --owner-secret-key-hex');
  if (hex !== undefined) return secretKeyArgument(hex, 'owner-secret-key-hex');
  const keyPath = path(context, 'owner-key-file');
  let bytes: Buffer;
  try {
    bytes = await readFile(keyPath);
  } catch (error) {
    throw new UsageError(`cannot read --owner-key-file ${keyPath} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (bytes.length > SECRET_FILE_MAX_BYTES) throw new UsageError(`--owner-key-file ${keyPath} is larger than ${SECRET_FILE_MAX_BYTES} bytes; it is not an owner key`);
  if (await readableByOthers(keyPath)) throw new UsageError(`--owner-key-file ${keyPath} is readable by other users; chmod 600 it first`);
  const text = bytes.toString('utf8').trim();
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new UsageError(`--owner-key-file ${keyPath} must hold 64 hex digits (a 32-byte Ed25519 seed, as "pnode network keygen" writes)`);
  return secretKeyArgument(text, 'owner-key-file');
}

function nodeAtUrlList(context: CommandContext, name: string): { nodeId: string; url: string }[] {
  return ((context.args.options[name] as string[] | undefined) ?? []).map((text) => {
    const parsed = parseNodeAtUrl(text);
    if (!parsed.ok) throw new UsageError(`--${name} ${JSON.stringify(text)}: ${parsed.error.detail}`);
    return parsed.value;
  });
}

function validDays(context: CommandContext): number {
  const value = context.args.options['valid-days'] ?? NETWORK_DESCRIPTOR_DEFAULT_VALID_DAYS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > NETWORK_DESCRIPTOR_MAX_VALID_DAYS) {
    throw new UsageError(`--valid-days must be a whole number from 1 to ${NETWORK_DESCRIPTOR_MAX_VALID_DAYS}`);
  }
  return value;
}

function joinPolicy(context: CommandContext): JoinPolicy {
  const value = context.args.options['join-policy'] ?? (context.args.options['psk-out'] !== undefined ? 'psk' : 'open');
  if (!(JOIN_POLICIES as readonly unknown[]).includes(value)) throw new UsageError(`--join-policy must be one of ${JOIN_POLICIES.join(', ')}`);
  return value as JoinPolicy;
}

async function trustRootsFrom(context: CommandContext): Promise<{ pem: string; label: string }[]> {
  const files = (context.args.options['trust-ca'] as string[] | undefined) ?? [];
  return Promise.all(
    files.map(async (name) => {
      const file = resolve(context.cwd, name);
      let pem: string;
      try {
        pem = await readFile(file, 'utf8');
      } catch (error) {
        throw new UsageError(`cannot read --trust-ca ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      if (pem.length > NETWORK_TRUST_ROOT_MAX_CHARS) throw new UsageError(`--trust-ca ${file} is larger than ${NETWORK_TRUST_ROOT_MAX_CHARS} characters; give the CA certificate alone`);
      return { pem, label: basename(file) };
    }),
  );
}

/** A descriptor from a file or any invite form (a d1 link carries it; a u1 link is fetched and checked). */
async function descriptorFrom(text: string, context: CommandContext, crypto: CryptoProvider, now: number): Promise<NetworkDescriptor> {
  if (!/^(pnode:|https:\/\/)/i.test(text.trim())) return readNetworkDescriptorFile(resolve(context.cwd, text), { crypto, now, option: 'descriptor' });
  const parsed = parseInvite(text);
  if (!parsed.ok) throw parsed.error;
  if (parsed.value.kind === 'reference') {
    const fetched = await fetchNetworkDescriptor(parsed.value.url, { crypto, now, expectedHash: parsed.value.hash });
    if (!fetched.ok) throw new ProtocolError(fetched.error.code, `invite refused: ${fetched.error.detail}`);
    return fetched.value;
  }
  const accepted = acceptNetworkDescriptor(parsed.value.descriptor, { crypto, now });
  if (!accepted.ok) throw new ProtocolError(accepted.error.code, `invite refused: ${accepted.error.detail}`);
  return accepted.value;
}

/** Readable lines of a verified descriptor. */
export function describeNetwork(descriptor: NetworkDescriptor, now: number): string[] {
  const days = Math.floor((Date.parse(descriptor['expires-at']) - now) / DAY_MS);
  const lines = [
    `network/id     ${descriptor['network/id']}`,
    `network/name   ${descriptor['network/name']}`,
    `owner          ${descriptor['owner/node-id']}`,
    `created-at     ${descriptor['created-at']}`,
    `expires-at     ${descriptor['expires-at']} (in ${days} day${days === 1 ? '' : 's'})`,
    `join/policy    ${descriptor['join/policy']}${descriptor['psk/hint'] ? ` (hint: ${descriptor['psk/hint']})` : ''}`,
    `seeds          ${descriptor.seeds.length}`,
    ...descriptor.seeds.map((s) => `  ${s['node/id']} ${s['endpoint/url']}${s.label ? ` (${s.label})` : ''}`),
    `directories    ${descriptor.directories.length}`,
    ...descriptor.directories.map((d) => `  ${d}`),
    `orchestrators  ${descriptor.orchestrators.length}`,
    ...descriptor.orchestrators.map((o) => `  ${o['node/id']} ${o['endpoint/url']}`),
    `trust roots    ${(descriptor['trust/roots'] ?? []).length}`,
    ...(descriptor['trust/roots'] ?? []).map((r, i) => `  ${r.label ?? `CA certificate ${i + 1}`}`),
  ];
  if (descriptor['descriptor/url']) lines.push(`published at   ${descriptor['descriptor/url']}`);
  if (descriptor['registration-authority/key']) lines.push(`registration-authority/key  ${descriptor['registration-authority/key']}`);
  if (descriptor['dht/bootstrap']) lines.push(`dht/bootstrap  ${descriptor['dht/bootstrap'].join(', ')}`);
  lines.push('signature      ok (ed25519, by the owner)');
  return lines;
}

export function makeNetworkCommand(deps: NetworkCommandDeps = {}): CommandSpec {
  const crypto = deps.crypto ?? nativeCrypto;
  const clock = deps.clock ?? systemClock;

  const keygen: CommandSpec = {
    name: 'keygen',
    summary: 'Make a new network owner key (a 0600 file holding a 32-byte Ed25519 seed as hex)',
    options: [{ name: 'out', type: 'string', valueName: 'file', description: 'The key file to create (never overwritten)', required: true }],
    async run(context) {
      const out = path(context, 'out');
      const seed = crypto.randomBytes(ED25519_SEED_LENGTH);
      try {
        const owner = nodeIdFromPublicKey(crypto.ed25519Signer(seed).publicKey);
        await createSecretFile(out, `${toHex(seed)}\n`, '--out');
        context.stdout(`wrote a network owner key to ${out}\nowner/node-id: ${owner}\nkeep it secret: whoever holds it can sign descriptors for your networks\n`);
      } finally {
        seed.fill(0);
      }
      return EXIT_OK;
    },
  };

  const create: CommandSpec = {
    name: 'create',
    summary: 'Write a network descriptor signed by the owner key',
    description:
      'Write a network-descriptor.v1: the network id and name, its entry points and its join policy, signed by the\n' +
      'owner key. With --psk-out a fresh random 32-byte network key is written too (join policy psk); members need\n' +
      'the descriptor (public) and, for psk, the key (secret, pass it out of band).',
    options: [
      { name: 'out', type: 'string', valueName: 'file', description: 'The descriptor file to write (replaced if it exists)', required: true },
      { name: 'id', type: 'string', valueName: 'net:…', description: 'Network id: net: and lowercase letters, digits and dashes', required: true },
      { name: 'name', type: 'string', valueName: 'text', description: 'Network name for people', required: true },
      { name: 'owner-key-file', type: 'string', valueName: 'file', description: 'Owner key file (pnode network keygen), mode 0600' },
      { name: 'owner-secret-key-hex', type: 'string', valueName: 'hex', description: 'Owner key as 64 hex digits (scripts; visible to other users of this machine)' },
      { name: 'seed', type: 'list', valueName: 'node-id@url', description: 'A static seed peer' },
      { name: 'directory', type: 'list', valueName: 'url', description: 'A seed directory base URL (http(s)://)' },
      { name: 'orchestrator', type: 'list', valueName: 'node-id@url', description: 'An orchestrator' },
      { name: 'join-policy', type: 'string', valueName: JOIN_POLICIES.join('|'), description: 'open, or psk (a pre-shared key); default psk with --psk-out, else open' },
      { name: 'psk-out', type: 'string', valueName: 'file', description: 'Write a new random network key here (mode 0600, never overwritten)' },
      { name: 'psk-hint', type: 'string', valueName: 'text', description: 'Where members get the key (never the key itself)' },
      { name: 'registration-authority-key', type: 'string', valueName: 'z…', description: 'did:key fingerprint of the registration authority (trusted registration)' },
      { name: 'project', type: 'list', valueName: 'z…=name', description: 'A project allowed to submit work: its key (pnode project keygen) and name' },
      { name: 'dht-bootstrap', type: 'list', valueName: 'a.b.c.d:port', description: "A bootstrap node of the network's own DHT (pnode dht-bootstrap); none: the network runs no DHT" },
      { name: 'valid-days', type: 'number', valueName: 'days', description: `Validity (default ${NETWORK_DESCRIPTOR_DEFAULT_VALID_DAYS}, at most ${NETWORK_DESCRIPTOR_MAX_VALID_DAYS})` },
      { name: 'trust-ca', type: 'list', valueName: 'file', description: "A private CA certificate (PEM) members trust for the network's wss:// and https:// services" },
      { name: 'descriptor-url', type: 'string', valueName: 'url', description: 'Where you will publish this descriptor (and its renewals): members fetch newer versions from it' },
      { name: 'created-at', type: 'string', valueName: 'rfc3339', description: 'Date the descriptor from this time instead of now (pre-dating; tests)' },
    ],
    async run(context) {
      const out = path(context, 'out');
      const policy = joinPolicy(context);
      const pskOut = context.args.options['psk-out'] === undefined ? undefined : path(context, 'psk-out');
      if (pskOut !== undefined && policy !== 'psk') throw new UsageError('--psk-out makes a key for a psk network; it does not go with --join-policy open');
      const seed = await ownerSeed(context);
      const signer = crypto.ed25519Signer(seed);
      seed.fill(0);
      const now = context.args.options['created-at'] === undefined ? clock.now() : timestampArgument(context.args.options['created-at'], 'created-at');
      const trustRoots = await trustRootsFrom(context);
      const built = buildNetworkDescriptor(
        {
          id: context.args.options['id'] as string,
          name: context.args.options['name'] as string,
          seeds: nodeAtUrlList(context, 'seed'),
          directories: (context.args.options['directory'] as string[] | undefined) ?? [],
          orchestrators: nodeAtUrlList(context, 'orchestrator'),
          joinPolicy: policy,
          pskHint: context.args.options['psk-hint'] as string | undefined,
          registrationAuthorityKey: context.args.options['registration-authority-key'] as string | undefined,
          projects: ((context.args.options['project'] as string[] | undefined) ?? []).map((text) => {
            const eq = text.indexOf('=');
            if (eq <= 0 || eq === text.length - 1) throw new UsageError(`--project ${JSON.stringify(text)}: expected <key>=<name>`);
            return { key: text.slice(0, eq), name: text.slice(eq + 1) };
          }),
          trustRoots,
          descriptorUrl: context.args.options['descriptor-url'] as string | undefined,
          dhtBootstrap: context.args.options['dht-bootstrap'] as string[] | undefined,
          createdAt: now,
          validForMs: validDays(context) * DAY_MS,
        },
        signer,
        crypto,
      );
      // What the options say is checked by the same rules a member's node applies: a refusal here is bad usage.
      if (!built.ok) throw new UsageError(`${built.error.code} ${built.error.detail}`);
      const descriptor = built.value;
      if (pskOut !== undefined) {
        const psk = crypto.randomBytes(NETWORK_PSK_LENGTH);
        try {
          await createSecretFile(pskOut, formatPsk(psk), '--psk-out');
        } finally {
          psk.fill(0);
        }
      }
      await writeFileAtomic(out, `${JSON.stringify(descriptor, null, 2)}\n`);
      context.stdout(
        `wrote ${descriptor['network/id']} (${descriptor['network/name']}) to ${out}\n` +
          `owner/node-id: ${descriptor['owner/node-id']}\n` +
          `valid until ${descriptor['expires-at']}; join policy ${policy}\n` +
          (pskOut !== undefined ? `network key: ${pskOut} (secret: give it to members out of band; nodes take it with --psk-file)\n` : '') +
          (policy === 'psk' && pskOut === undefined ? 'join policy psk: members need the network key you already hold (--psk-file)\n' : ''),
      );
      return EXIT_OK;
    },
  };

  const show: CommandSpec = {
    name: 'show',
    summary: 'Verify a network descriptor and print it',
    positionals: [{ name: 'file', description: 'The network descriptor', required: true }],
    options: [
      { name: 'json', type: 'boolean', description: 'Print the verified descriptor as JSON' },
      { name: 'now', type: 'string', valueName: 'rfc3339', description: 'The time to check expiry against (default: the clock)' },
    ],
    async run(context) {
      const file = resolve(context.cwd, context.args.positionals[0]!);
      const now = context.args.options['now'] === undefined ? clock.now() : timestampArgument(context.args.options['now'], 'now');
      const descriptor = await readNetworkDescriptorFile(file, { crypto, now, option: 'file' });
      if (context.args.options['json'] === true) context.stdout(`${JSON.stringify(descriptor, null, 2)}\n`);
      else context.stdout(`${describeNetwork(descriptor, now).join('\n')}\n`);
      return EXIT_OK;
    },
  };

  const invite: CommandSpec = {
    name: 'invite',
    summary: 'Print the invite of a network: a pnode://join/ link, its https page form, and a QR code',
    description:
      'The invite is the signed descriptor in a link members open (or paste) in PNode. With --url, the link only\n' +
      'names where the descriptor is published and its hash (a short link, a small QR code). With --page, the https\n' +
      'address of your invite page (write the page itself with --page-out).',
    positionals: [{ name: 'descriptor', description: 'The network descriptor file', required: true }],
    options: [
      { name: 'url', type: 'string', valueName: 'url', description: 'Where the descriptor is published: print the short (u1) link' },
      { name: 'page', type: 'string', valueName: 'https-url', description: 'Your invite page: print the https form of the link' },
      { name: 'page-out', type: 'string', valueName: 'file', description: 'Write the invite page (static HTML: an "Open in PNode" link and the QR code)' },
      { name: 'no-qr', type: 'boolean', description: 'Do not print the QR code' },
    ],
    async run(context) {
      const now = clock.now();
      const descriptor = await readNetworkDescriptorFile(resolve(context.cwd, context.args.positionals[0]!), { crypto, now, option: 'descriptor' });
      const url = context.args.options['url'] as string | undefined;
      let link: string;
      try {
        link = url === undefined ? inviteLink(descriptor) : referenceInviteLink(url, descriptor, crypto);
        if (url !== undefined && !parseInvite(link).ok) throw new UsageError(`--url ${url}: ${(parseInvite(link) as { error: ProtocolError }).error.detail}`);
      } catch (error) {
        if (error instanceof ProtocolError) throw new UsageError(`--url: ${error.detail}`);
        throw error;
      }
      context.stdout(`${descriptor['network/name']} (${descriptor['network/id']}), valid until ${descriptor['expires-at']}\n\n${link}\n`);
      const page = context.args.options['page'] as string | undefined;
      if (page !== undefined) {
        try {
          context.stdout(`\n${httpsInviteLink(page, link)}\n`);
        } catch (error) {
          throw new UsageError(`--page ${page}: ${error instanceof ProtocolError ? error.detail : String(error)}`);
        }
      }
      const pageOut = context.args.options['page-out'] as string | undefined;
      if (pageOut !== undefined) {
        const file = resolve(context.cwd, pageOut);
        await writeFileAtomic(file, invitePage());
        context.stdout(`\nwrote the invite page to ${file}; publish it at ${page ?? 'your https:// address'} and share the https form of the link\n`);
      }
      if (context.args.options['no-qr'] !== true) {
        if (link.length > INVITE_QR_MAX_CHARS) context.stdout(`\n(no QR code: the link is ${link.length} characters, more than a QR code holds; publish the descriptor and use --url for a short link)\n`);
        else context.stdout(`\n${await inviteQrText(link)}`);
      }
      return EXIT_OK;
    },
  };

  const doctor: CommandSpec = {
    name: 'doctor',
    summary: "Check that every service a network's descriptor (or invite) names answers, verifies its TLS and is who it says",
    positionals: [{ name: 'invite', description: 'A pnode://join/ link, an https invite address, or a descriptor file', required: true }],
    options: [
      { name: 'psk-file', type: 'string', valueName: 'file', description: "A private network's key: its handshakes can then be checked too" },
      { name: 'now', type: 'string', valueName: 'rfc3339', description: 'The time to check validity against (default: the clock)' },
    ],
    async run(context) {
      const now = context.args.options['now'] === undefined ? clock.now() : timestampArgument(context.args.options['now'], 'now');
      const descriptor = await descriptorFrom(context.args.positionals[0]!, context, crypto, now);
      const pskFile = context.args.options['psk-file'] as string | undefined;
      const psk = pskFile === undefined ? undefined : await readPskFile(resolve(context.cwd, pskFile));
      context.stdout(`${descriptor['network/name']} (${descriptor['network/id']})\nsigned by ${descriptor['owner/node-id']}; valid until ${descriptor['expires-at']}\n\n`);
      const checks = await runNetworkDoctor(descriptor, { crypto, psk });
      for (const check of checks) context.stdout(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.service.padEnd(12)} ${check.target}\n      ${check.detail} (${check.ms} ms)\n`);
      const failed = checks.filter((c) => !c.ok).length;
      context.stdout(`\n${failed === 0 ? `all ${checks.length} services answer` : `${failed} of ${checks.length} services failed`}\n`);
      return failed === 0 ? EXIT_OK : EXIT_REJECTED;
    },
  };

  return {
    name: 'network',
    summary: 'Make and read network descriptors (owner key, seeds, directories, join policy)',
    description:
      'A network (domain) is described by a network-descriptor.v1 signed by its owner key: its seeds, seed directories,\n' +
      'orchestrators and join policy (open, or psk: a pre-shared key every member holds). Nodes join with\n' +
      '"pnode node --network <file> [--psk-file <key>]".\n' +
      'Exit status: 0 ok; 1 a descriptor was refused (the line starts with the E_… code); 2 bad usage or unreadable input.',
    subcommands: [keygen, create, show, invite, doctor],
  };
}

export const networkCommand: CommandSpec = makeNetworkCommand();
