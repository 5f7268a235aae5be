// Runs Electronegativity (@doyensec/electronegativity) over the Electron shell and the UI it loads,
// prints every finding, and exits 1 on any finding above LOW that scripts/electronegativity-allowlist.json
// does not explain. An allowlist entry holds only in its files and only while its verification,
// run here over the real code, passes: a false positive stays explained only while it stays false.
//
// Usage: node scripts/electronegativity.mjs [--online]      (npm run security:electron)
//   --online  let the tool fetch its translations and Electron's release list (it is offline by
//             default: CI has no business calling out, and the results must not depend on it).
//
// What is scanned: src-main and src-renderer (TypeScript is parsed as is; tests and test helpers are
// left out: they never ship) with the app's package.json, copied to a temp folder so the tool sees
// one app. The bundles in dist/ add nothing Electron-specific: only src-main imports electron.
import { build } from 'esbuild';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ALLOWLIST_FILE = join(ROOT, 'scripts', 'electronegativity-allowlist.json');
const SCANNED = ['src-main', 'src-renderer'];
const SEVERITY_ORDER = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH'];
/** Findings at or below this pass without an allowlist entry (issue 8 §4: "zero findings above low"). */
const HIGHEST_UNEXPLAINED = 'LOW';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write('Usage: node scripts/electronegativity.mjs [--online]\n');
  process.exit(0);
}
const unknown = args.filter((a) => a !== '--online');
if (unknown.length > 0) {
  process.stderr.write(`electronegativity: unknown option ${unknown[0]}\n`);
  process.exit(2);
}
const online = args.includes('--online');

const require = createRequire(import.meta.url);
const runnerPath = require.resolve('@doyensec/electronegativity');
const toolRequire = createRequire(runnerPath);
const toolVersion = JSON.parse(readFileSync(join(runnerPath, '..', '..', 'package.json'), 'utf8')).version;
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;

// --- offline: the tool's HTTP client (got) answers every call with "no network" ----------------------
if (!online) {
  const gotPath = toolRequire.resolve('got');
  const offline = () => Promise.reject(new Error('offline'));
  offline.head = offline;
  offline.get = offline;
  require.cache[gotPath] = { id: gotPath, filename: gotPath, loaded: true, exports: offline, children: [], paths: [] };
}
const OFFLINE_NOISE = [/Could not retrieve updated translations/, /Fetching Electron's new releases/, /Something went wrong while fetching Electron's releases/];

// --- stage one app: the shipped sources of the shell and the UI, with the app's package.json ---------
function isTestFile(path) {
  return /\.test\.tsx?$/.test(path) || /(^|[/\\])testing([/\\]|$)/.test(path);
}
const stage = mkdtempSync(join(tmpdir(), 'pnode-electronegativity-'));
for (const folder of SCANNED) {
  cpSync(join(ROOT, folder), join(stage, folder), { recursive: true, filter: (source) => !isTestFile(relative(join(ROOT, folder), source)) });
}
writeFileSync(join(stage, 'package.json'), readFileSync(join(ROOT, 'package.json')));
const stagedFiles = (function count(dir) {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, entry) => n + (entry.isDirectory() ? count(join(dir, entry.name)) : 1), 0);
})(stage);

// --- run the tool (its output captured: with offline calls it talks about them) ---------------------
const run = toolRequire(runnerPath);
const toolMessages = [];
const consoleLog = console.log;
console.log = (...parts) => toolMessages.push(parts.map(String).join(' '));
let result;
try {
  result = await run(
    { input: stage, customScan: [], excludeFromScan: [], electronVersionOverride: electronVersion, parserPlugins: [], isRelative: true, output: undefined },
    false,
  );
} finally {
  console.log = consoleLog;
  rmSync(stage, { recursive: true, force: true });
}

// --- verifications: the facts each allowlist entry rests on, checked on the real code ---------------
async function loadPolicies() {
  const bundle = await build({
    stdin: {
      contents: [
        "export { mainWindowOptions, rendererContentSecurityPolicy, rendererResponseHeaders, externalHttpsUrl } from './src-main/window-policy.ts';",
        "export { APP_SCHEME_PRIVILEGES } from './src-main/app-protocol.ts';",
        "export { INVITE_PROTOCOL, inviteFromArgv, inviteFromUrl } from './src-main/invite-links.ts';",
        "export { contentSecurityPolicy as controlServerContentSecurityPolicy } from './src-node/control/static-files.ts';",
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  return import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString('base64')}`);
}

/** The shipped sources of src-main, joined: what the source-level verifications read. */
function shellSources() {
  const dir = join(ROOT, 'src-main');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.ts') && !isTestFile(name))
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}

function verifyWindowOptions(policies) {
  const problems = [];
  const prefs = policies.mainWindowOptions({ preloadPath: '/app/preload.cjs', devTools: false }).webPreferences ?? {};
  const expected = {
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
  };
  for (const [key, value] of Object.entries(expected)) if (prefs[key] !== value) problems.push(`webPreferences.${key} is ${JSON.stringify(prefs[key])}, not ${value}`);
  if (!String(prefs.disableBlinkFeatures ?? '').split(',').includes('Auxclick')) problems.push("webPreferences.disableBlinkFeatures lacks 'Auxclick'");
  if (prefs.enableBlinkFeatures !== undefined) problems.push('webPreferences.enableBlinkFeatures is set');
  const sources = shellSources();
  const windows = sources.flatMap(({ name, text }) => [...text.matchAll(/new\s+(?:BrowserWindow|BrowserView|WebContentsView)\s*\(([^)]{0,40})/g)].map((m) => `${name}: ${m[0]}`));
  if (windows.length !== 1 || !/main\.ts: new BrowserWindow\(mainWindowOptions\(/.test(windows[0] ?? '')) problems.push(`expected one window, built from mainWindowOptions(); found ${windows.join('; ') || 'none'}`);
  if (!sources.some(({ name, text }) => name === 'main.ts' && text.includes('app.enableSandbox()'))) problems.push('main.ts does not call app.enableSandbox()');
  return { problems, facts: 'one BrowserWindow, from mainWindowOptions(): contextIsolation, sandbox (and app.enableSandbox()), no Node, webSecurity, no webview, Auxclick off' };
}

function verifyExternalUrl(policies) {
  const problems = [];
  const hostile = [
    'file:///etc/passwd',
    'file://server/share/x.exe',
    'smb://evil.example/share',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'http://evil.example/',
    'ms-msdt:/id PCWDiagnostic',
    'vscode://x',
    'https://user:pass@evil.example/',
    'https://',
    '\\\\evil.example\\share',
    `https://evil.example/${'a'.repeat(10_000)}`,
  ];
  for (const url of hostile) if (policies.externalHttpsUrl(url) !== null) problems.push(`externalHttpsUrl lets ${url.slice(0, 60)} through`);
  if (policies.externalHttpsUrl('https://pnode.example/docs') !== 'https://pnode.example/docs') problems.push('externalHttpsUrl refuses a plain https link');
  const calls = shellSources().flatMap(({ name, text }) => [...text.matchAll(/shell\.openExternal\(([^)]*)\)/g)].map((m) => ({ name, argument: m[1] })));
  const unchecked = calls.filter((c) => c.name !== 'main.ts' || c.argument !== 'decision.openExternally');
  if (calls.length === 0 || unchecked.length > 0) problems.push(`shell.openExternal called with something other than decision.openExternally: ${unchecked.map((c) => `${c.name}(${c.argument})`).join(', ') || 'no calls found'}`);
  return { problems, facts: `${calls.length} shell.openExternal calls, all fed by externalHttpsUrl(); ${hostile.length} hostile URLs refused` };
}

function verifyCsp(policies) {
  const problems = [];
  const csp = toolRequire('@doyensec/csp-evaluator');
  // Fail on what the evaluator calls HIGH, SYNTAX, MEDIUM or HIGH_MAYBE. 'self' in script-src
  // (MEDIUM_MAYBE: a problem only for sites hosting JSONP, Angular or uploads; we serve our own
  // build, nothing else) and informational notes are listed, not failed.
  const failing = new Set([csp.severities.HIGH, csp.severities.SYNTAX, csp.severities.MEDIUM, csp.severities.HIGH_MAYBE]);
  const names = Object.fromEntries(Object.entries(csp.severities).map(([name, value]) => [value, name]));
  const notes = [];
  const policiesToCheck = [
    ['app:// (Electron)', policies.rendererContentSecurityPolicy()],
    ['control server (--ui)', policies.controlServerContentSecurityPolicy(47_000)],
  ];
  for (const [carrier, text] of policiesToCheck) {
    const findings = new csp.CspEvaluator(new csp.CspParser(text).csp, csp.Version.CSP3).evaluate();
    for (const finding of findings) {
      const line = `${carrier}: ${names[finding.severity] ?? finding.severity} ${finding.directive} ${finding.value ?? ''} - ${finding.description}`;
      if (failing.has(finding.severity)) problems.push(line);
      else notes.push(line);
    }
    if (/unsafe-inline|unsafe-eval|unsafe-hashes|\*/.test(text)) problems.push(`${carrier}: the policy has an inline/eval/wildcard escape hatch: ${text}`);
  }
  if (policies.rendererResponseHeaders('text/html')['Content-Security-Policy'] !== policies.rendererContentSecurityPolicy()) problems.push('rendererResponseHeaders() does not carry the renderer CSP');
  if (policies.APP_SCHEME_PRIVILEGES.bypassCSP !== false) problems.push('the app:// scheme is registered with bypassCSP');
  const main = shellSources().find(({ name }) => name === 'main.ts')?.text ?? '';
  if (!/protocol\.handle\(APP_SCHEME, serveApp\)/.test(main) || (main.match(/new Response\(/g) ?? []).length !== (main.match(/headers: (?:plain|rendererResponseHeaders\()/g) ?? []).length) {
    problems.push('main.ts: not every app:// response carries rendererResponseHeaders()');
  }
  return { problems, facts: 'both policies pass the CSP evaluator; every app:// response carries the header; the scheme does not bypass CSP', notes };
}

function verifyInviteLinks(policies) {
  const problems = [];
  if (policies.INVITE_PROTOCOL !== 'pnode') problems.push(`the app registers ${JSON.stringify(policies.INVITE_PROTOCOL)}, not pnode`);
  const foreign = ['https://evil.example/', 'file:///etc/passwd', 'javascript:alert(1)', '--inspect=0.0.0.0:9229', '--no-sandbox', 'pnodex://join/d1/x', 'vscode://x', `pnode://join/${'a'.repeat(20_000)}`];
  for (const arg of foreign) if (policies.inviteFromArgv(['/app/pnode', arg]) !== null || policies.inviteFromUrl(arg) !== null) problems.push(`${arg.slice(0, 40)} is taken as an invite`);
  if (policies.inviteFromArgv(['/app/pnode', '--flag', 'pnode://join/d1/abc']) !== 'pnode://join/d1/abc') problems.push('a pnode://join/ link in the command line is not found');
  const sources = shellSources();
  const registrations = sources.flatMap(({ name, text }) => [...text.matchAll(/setAsDefaultProtocolClient\(([^)]*)\)/g)].map((m) => `${name}(${m[1]})`));
  if (registrations.length !== 1 || registrations[0] !== 'main.ts(INVITE_PROTOCOL)') problems.push(`expected one setAsDefaultProtocolClient(INVITE_PROTOCOL) in main.ts; found ${registrations.join(', ') || 'none'}`);
  const main = sources.find(({ name }) => name === 'main.ts')?.text ?? '';
  const handedOver = [...main.matchAll(/dispatch\(\{ command: '([a-z-]+)', invite/g)].map((m) => m[1]);
  if (handedOver.length !== 1 || handedOver[0] !== 'open-invite') problems.push(`a link must reach the node only as open-invite (a preview); main.ts hands it as ${handedOver.join(', ') || 'nothing'}`);
  return { problems, facts: `one scheme (pnode), registered once; ${foreign.length} foreign or oversized arguments refused; a link reaches the node only as open-invite` };
}

const policies = await loadPolicies();
const verifications = { 'window-options': verifyWindowOptions(policies), 'external-url': verifyExternalUrl(policies), 'renderer-csp': verifyCsp(policies), 'invite-links': verifyInviteLinks(policies) };

// --- judge every finding -----------------------------------------------------------------------------
const allowlist = JSON.parse(readFileSync(ALLOWLIST_FILE, 'utf8'));
const used = new Set();
const rank = (severity) => SEVERITY_ORDER.indexOf(severity);
const rows = result.issues
  .map((issue) => {
    const file = String(issue.file).split('\\').join('/');
    const entry = allowlist[issue.id];
    const severity = issue.severity.name;
    let verdict;
    if (rank(severity) <= rank(HIGHEST_UNEXPLAINED)) verdict = 'ok (low)';
    else if (entry && entry.files.includes(file)) {
      const verification = verifications[entry.verify];
      if (verification === undefined) verdict = `FAIL (allowlist names unknown verification ${entry.verify})`;
      else if (verification.problems.length > 0) verdict = `FAIL (allowlisted, but ${entry.verify} does not hold)`;
      else verdict = `explained (${entry.verify} verified)`;
      used.add(issue.id);
    } else verdict = 'FAIL (not explained)';
    return { id: issue.id, severity, confidence: issue.confidence.name, where: `${file}:${issue.location.line}:${issue.location.column}`, review: issue.manualReview, verdict, description: issue.description };
  })
  .sort((a, b) => rank(b.severity) - rank(a.severity) || a.id.localeCompare(b.id));

// --- report --------------------------------------------------------------------------------------------
const out = (line = '') => process.stdout.write(`${line}\n`);
out(`electronegativity ${toolVersion}: ${SCANNED.join(' + ')} + package.json (${stagedFiles} files, tests left out), Electron ${electronVersion}, ${online ? 'online' : 'offline'}`);
out(`${result.atomicChecks} atomic and ${result.globalChecks} global checks`);
for (const message of toolMessages) if (online || !OFFLINE_NOISE.some((pattern) => pattern.test(message))) out(`tool: ${message}`);
const parseErrors = result.errors.filter((e) => !e.tolerable);
for (const error of result.errors) out(`${error.tolerable ? 'parse warning' : 'PARSE ERROR'}: ${error.file}: ${error.message}`);
out();
if (rows.length === 0) out('findings: none');
else {
  const header = ['check', 'severity', 'confidence', 'where', 'verdict'];
  const cells = rows.map((r) => [r.id + (r.review ? ' (review)' : ''), r.severity, r.confidence, r.where, r.verdict]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
  const line = (row) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  out(`findings: ${rows.length}`);
  out(line(header));
  out(line(widths.map((w) => '-'.repeat(w))));
  for (const row of cells) out(line(row));
}
out();
out('verifications behind the allowlist:');
for (const [name, verification] of Object.entries(verifications)) {
  out(`  ${name}: ${verification.problems.length === 0 ? `ok - ${verification.facts}` : 'FAILED'}`);
  for (const problem of verification.problems) out(`    ! ${problem}`);
  for (const note of verification.notes ?? []) out(`    note: ${note}`);
}
for (const id of Object.keys(allowlist).filter((key) => !key.startsWith('$') && !used.has(key))) out(`  allowlist entry ${id} matched nothing: drop it once the tool agrees`);
out();
const failed = rows.filter((r) => r.verdict.startsWith('FAIL'));
if (failed.length > 0 || parseErrors.length > 0) {
  out(`FAIL: ${failed.length} finding(s) above ${HIGHEST_UNEXPLAINED} not explained${parseErrors.length > 0 ? `, ${parseErrors.length} file(s) not parsed` : ''}`);
  out(`Fix them, or explain them in ${relative(ROOT, ALLOWLIST_FILE)} and docs/SECURITY.md.`);
  process.exitCode = 1;
} else {
  const explained = rows.filter((r) => r.verdict.startsWith('explained')).length;
  out(`PASS: no unexplained finding above ${HIGHEST_UNEXPLAINED} (${explained} explained and verified, ${rows.length - explained} at or below ${HIGHEST_UNEXPLAINED})`);
}
