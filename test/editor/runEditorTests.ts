/**
 * Runs the editor suite (test/editor/suite) inside a real VS Code: code-server 4.100.3 (VS Code
 * 1.100.3) serving the workbench on 127.0.0.1, driven by Debian's Chromium through
 * playwright-core. The extension is loaded from this repository with VS Code's own
 * extension-development mode, and the suite's `run()` result comes back through the
 * workbench's automation hooks: the same contract as @vscode/test-electron's runTests.
 *
 *   npm run test:editor   (scripts/test-editor.sh installs what it needs first)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Page } from 'playwright-core';
import { catalogEntries } from '../../src/dataset/templateCatalog';
import { CANNOT_TRAIN, cleanFile, FOLDERS, MATCHED, type Supports } from '../fixtures/cleanData';

const ROOT = path.resolve(__dirname, '..', '..');
const CODE_SERVER = path.join(ROOT, '.cache', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = '/usr/bin/chromium';
const SUITE_TIMEOUT_MS = 600_000;
/** Screenshots the suite asks for land here; CI keeps them as artifacts. */
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'editor');

const GOOD = JSON.stringify({ messages: [{ role: 'user', content: 'Define dog.' }, { role: 'assistant', content: 'A domesticated canine.' }] });
const ALTERNATION = JSON.stringify({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }, { role: 'assistant', content: 'c' }] });
const SHAREGPT = JSON.stringify({ conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello' }] });
const FIXTURES: Record<string, string> = {
  'data/broken.sft.jsonl': [GOOD, '{"messages": [{"role": "usr", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}', '{"messages": [}'].join('\n') + '\n',
  'templated/sft-studio.json': JSON.stringify({ template: 'mistral' }, null, 2) + '\n',
  'templated/alternation.sft.jsonl': ALTERNATION + '\n',
  'fixes/fixable.sft.jsonl': [GOOD, '{"messages": [{"role": "assistent", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}', SHAREGPT, SHAREGPT.replace('Hello', 'Hey'), GOOD].join('\n') + '\n',
  'picker/alternation.sft.jsonl': ALTERNATION + '\n',
  'jinja/sft-studio.json': JSON.stringify({ model: './model' }) + '\n',
  'jinja/model/tokenizer_config.json': JSON.stringify({ eos_token: '</s>' }) + '\n',
  'jinja/model/chat_template.jinja': "{{ raise_exception('this template is being written') }}",
  'jinja/data.sft.jsonl': GOOD + '\n',
  'closed/never-opened.sft.jsonl': '{"messages": [{"role": "usr", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}\n',
};

/** A folder per clean-data case: the clean file under one template, with a real tokenizer where its family has one. */
function cleanDataFixtures(): Record<string, string> {
  const files: Record<string, string> = {};
  const cases: Array<{ name: string; project: Record<string, string>; supports: Supports }> = [
    ...MATCHED.map(([template, folder, supports]) => ({ name: `${template ?? 'own'}-with-${folder}`, project: { model: FOLDERS[folder](), ...(template ? { template } : {}) }, supports })),
    ...catalogEntries().filter((entry) => !(entry.name in CANNOT_TRAIN)).map((entry) => ({ name: entry.name, project: { template: entry.name }, supports: { system: false } })),
  ];
  for (const { name, project, supports } of cases) {
    const dir = `clean/${name.replace(/[^\w.-]/g, '_')}`;
    files[`${dir}/sft-studio.json`] = `${JSON.stringify(project, null, 2)}\n`;
    files[`${dir}/clean.sft.jsonl`] = cleanFile(supports);
  }
  return files;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForServer(port: number, server: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`code-server exited with ${server.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('code-server did not start listening in time');
}

/**
 * Saves a screenshot the suite asked for, then tells the suite it may go on. With `expectText`,
 * first waits for a frame (a webview's content) that shows it, and tells the suite whether one did.
 */
async function takeScreenshot(page: Page, name: string, workspace: string, expectText?: string): Promise<void> {
  const shown = expectText === undefined || (await frameShowing(page, expectText, 10_000));
  try {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  } catch (error) {
    console.error(`screenshot ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  fs.mkdirSync(path.join(workspace, '.screenshots'), { recursive: true });
  fs.writeFileSync(path.join(workspace, '.screenshots', `${name}.done`), shown ? 'shown' : 'missing');
}

/** Whether some frame of the page (webviews render in nested frames) shows `text` within `timeoutMs`. */
async function frameShowing(page: Page, text: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      // Runs in the page: the frame's visible text.
      const body = await frame.evaluate('document.body ? document.body.innerText : ""').catch(() => '');
      if (typeof body === 'string' && body.includes(text)) return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

async function main(): Promise<number> {
  for (const [what, file] of [['code-server', CODE_SERVER], ['Chromium', CHROMIUM], ['the extension bundle', path.join(ROOT, 'dist', 'extension.js')]] as const) {
    if (!fs.existsSync(file)) throw new Error(`${what} is missing (${file}): run scripts/setup-editor.sh and npm run build first`);
  }
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-editor-'));
  const workspace = path.join(temp, 'workspace');
  for (const [name, text] of Object.entries({ ...FIXTURES, ...cleanDataFixtures() })) {
    fs.mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    fs.writeFileSync(path.join(workspace, name), text);
  }
  const userData = path.join(temp, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
  }));
  const suiteFile = path.join(ROOT, 'out', 'editor-suite', 'index.js');
  await esbuild.build({ entryPoints: [path.join(__dirname, 'suite', 'index.ts')], outfile: suiteFile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning' });

  const port = await freePort();
  const server = spawn(process.execPath, [CODE_SERVER, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--user-data-dir', userData,
    '--extensions-dir', path.join(temp, 'extensions'), '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', workspace], {
    detached: true, // its own process group, so the whole tree can be ended
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_CONFIG_HOME: path.join(temp, 'config'), XDG_DATA_HOME: path.join(temp, 'data') },
  });
  const serverLog: string[] = [];
  server.stdout!.on('data', (chunk: Buffer) => serverLog.push(chunk.toString()));
  server.stderr!.on('data', (chunk: Buffer) => serverLog.push(chunk.toString()));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await waitForServer(port, server, 30_000);
    const page = await browser.newPage();
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((resolve) => { resolveExit = resolve; });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const text = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      const screenshot = /SFT_SCREENSHOT (\S+)(?: (.+))?/.exec(text);
      if (screenshot) void takeScreenshot(page, screenshot[1]!, workspace, screenshot[2]);
      else if (!/ENOTFOUND open-vsx|marketplace/.test(text)) console.log(`[editor ${type}] ${text}`);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
    const remote = (p: string): string => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = JSON.stringify([['extensionDevelopmentPath', remote(ROOT)], ['extensionTestsPath', remote(path.dirname(suiteFile))]]);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
    const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(-1), SUITE_TIMEOUT_MS));
    const code = await Promise.race([exited, timeout]);
    const resultFile = path.join(workspace, '.editor-test-result.json');
    const result = fs.existsSync(resultFile) ? (JSON.parse(fs.readFileSync(resultFile, 'utf8')) as { passed: number; failures: string[] }) : undefined;
    await page.goto('about:blank'); // or code-server keeps this window's extension host alive
    if (code === -1) {
      console.error(`The editor suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s. code-server said:\n${serverLog.join('').slice(-4000)}`);
      return 1;
    }
    if (!result) {
      console.error(`The editor suite exited with ${code} without a result. code-server said:\n${serverLog.join('').slice(-4000)}`);
      return 1;
    }
    console.log(`editor: ${result.passed} passed, ${result.failures.length} failed`);
    return code === 0 && result.failures.length === 0 ? 0 : 1;
  } finally {
    await browser.close();
    try {
      process.kill(-server.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
