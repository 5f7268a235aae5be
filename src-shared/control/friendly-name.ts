// A readable name for a node, derived from its id (issue 14 §2): "Amber Falcon 42" instead of
// node:did:key:z6Mk…. Deterministic (the same id always gets the same name, on every screen and
// every machine) and pure. Not an identity: two nodes may share a name (about one in 400,000
// pairs), so the full id stays one click away wherever a name is shown, and a volunteer's own
// label for a peer wins over it.

const ADJECTIVES = [
  'Amber', 'Azure', 'Bold', 'Brave', 'Bright', 'Brisk', 'Calm', 'Clever', 'Copper', 'Coral', 'Crimson', 'Crisp', 'Daring', 'Dawn', 'Deep', 'Eager',
  'Early', 'Fair', 'Fleet', 'Gentle', 'Glad', 'Golden', 'Grand', 'Green', 'Hardy', 'Hazel', 'Honest', 'Indigo', 'Ivory', 'Jade', 'Jolly', 'Keen',
  'Kind', 'Lively', 'Lucky', 'Lunar', 'Mellow', 'Merry', 'Misty', 'Noble', 'Olive', 'Patient', 'Plucky', 'Proud', 'Quick', 'Quiet', 'Rapid', 'Rosy',
  'Ruby', 'Rustic', 'Sandy', 'Silver', 'Solar', 'Steady', 'Sunny', 'Swift', 'Tidy', 'Topaz', 'Upbeat', 'Velvet', 'Vivid', 'Warm', 'Wise', 'Zesty',
] as const;

const NOUNS = [
  'Badger', 'Beacon', 'Birch', 'Bison', 'Brook', 'Canyon', 'Cedar', 'Comet', 'Crane', 'Delta', 'Dune', 'Eagle', 'Elm', 'Falcon', 'Fern', 'Finch',
  'Fjord', 'Fox', 'Garnet', 'Glacier', 'Harbor', 'Hawk', 'Heron', 'Hill', 'Ibis', 'Island', 'Kestrel', 'Lake', 'Lark', 'Linden', 'Lynx', 'Maple',
  'Meadow', 'Mesa', 'Moose', 'Nebula', 'Oak', 'Orca', 'Otter', 'Owl', 'Panda', 'Pine', 'Plover', 'Prairie', 'Quail', 'Raven', 'Reef', 'Ridge',
  'River', 'Robin', 'Sparrow', 'Spruce', 'Summit', 'Swan', 'Thistle', 'Tern', 'Tiger', 'Valley', 'Walrus', 'Willow', 'Wolf', 'Wren', 'Yak', 'Zephyr',
] as const;

/** FNV-1a, 32 bits: spreads the id's characters over the name's parts. */
function fnv1a(text: string, seed: number): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** "Amber Falcon 42" for a node id (any string: an unusual id still gets a name). */
export function friendlyName(nodeId: string): string {
  const adjective = ADJECTIVES[fnv1a(nodeId, 1) % ADJECTIVES.length]!;
  const noun = NOUNS[fnv1a(nodeId, 2) % NOUNS.length]!;
  const number = fnv1a(nodeId, 3) % 100;
  return `${adjective} ${noun} ${number}`;
}

/** What to call a node: the volunteer's label when there is one, else its friendly name. */
export function displayName(nodeId: string, label: string | null | undefined): string {
  const chosen = label?.trim();
  return chosen ? chosen : friendlyName(nodeId);
}
