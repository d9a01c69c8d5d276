/**
 * Runs an extension-host suite inside a real VS Code: code-server 4.100.3 (VS Code 1.100.3)
 * serving the workbench on 127.0.0.1, driven by Debian's Chromium through playwright-core. The
 * extension is either loaded from this repository in VS Code's extension-development mode, or
 * installed from a .vsix with `code-server --install-extension`; the suite's `run()` result
 * comes back through the workbench's automation hooks: the same contract as
 * @vscode/test-electron's runTests. Shared by the editor tests and the editor benchmark.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '..', '..');
const CODE_SERVER = path.join(ROOT, '.cache', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = '/usr/bin/chromium';

export interface SuiteRun {
  /** The suite's entry module (TypeScript), bundled for the extension host. */
  suite: string;
  /** Workspace files, by path relative to the workspace folder. */
  files: Record<string, string | Uint8Array>;
  /** Install this .vsix instead of loading the extension from the repository. */
  vsix?: string;
  timeoutMs: number;
  /** Where screenshots the suite asks for are saved. */
  artifacts: string;
  /** Written to `.editor-run.json` in the workspace, for the suite to read. */
  runInfo?: Record<string, unknown>;
}

export interface SuiteResult {
  passed: number;
  failures: string[];
  /** Anything else the suite wrote into its result (a benchmark's figures). */
  [key: string]: unknown;
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
 * Answers the extension host's request in `doneFile`, which it polls for: written under another
 * name and renamed, so it never reads the file between its creation and its content.
 */
function answer(doneFile: string, text: string): void {
  fs.mkdirSync(path.dirname(doneFile), { recursive: true });
  fs.writeFileSync(`${doneFile}.partial`, text);
  fs.renameSync(`${doneFile}.partial`, doneFile);
}

/**
 * Saves a screenshot the suite asked for, then tells the suite it may go on. With `expectText`,
 * first waits for a frame (a webview's content) that shows it, and tells the suite whether one did.
 */
async function takeScreenshot(page: Page, file: string, doneFile: string, expectText?: string): Promise<void> {
  const shown = expectText === undefined || (await frameShowing(page, expectText, 10_000));
  try {
    await page.screenshot({ path: file });
  } catch (error) {
    console.error(`screenshot ${file} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  answer(doneFile, shown ? 'shown' : 'missing');
}

type UiRequest = { action: 'palette'; title: string } | { action: 'quickPick'; title: string; pick: string };

/**
 * Does in the workbench what a person would, for a suite that asks (`SFT_UI {json}` on its log):
 * `palette` opens the command palette, types a command's title and clicks it; `quickPick` clicks
 * an item of the quick pick a command opened. Writes the
 * outcome ("ok" or the error) to `doneFile`.
 */
async function uiAction(page: Page, request: UiRequest, doneFile: string): Promise<void> {
  let outcome = 'ok';
  try {
    const widget = page.locator('.quick-input-widget');
    if (request.action === 'palette') {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+Shift+P');
      const input = widget.locator('input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(`>${request.title}`);
      const row = widget.locator('.monaco-list-row', { hasText: request.title }).first();
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      await row.click();
    } else if (request.action === 'quickPick') {
      // A quick pick some command opened: wait until it shows `title`, then click the item.
      await widget.filter({ hasText: request.title }).waitFor({ state: 'visible', timeout: 20_000 });
      const row = widget.locator('.monaco-list-row', { hasText: request.pick }).first();
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      await row.click();
    } else {
      throw new Error(`unknown UI action ${JSON.stringify(request)}`);
    }
  } catch (error) {
    outcome = error instanceof Error ? error.message : String(error);
  }
  answer(doneFile, outcome);
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

/** Writes the workspace folder under `temp`, with `.editor-run.json` telling the suite how it runs. */
export function prepareWorkspace(temp: string, files: Record<string, string | Uint8Array>, runInfo: Record<string, unknown>): string {
  const workspace = path.join(temp, 'workspace');
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    fs.writeFileSync(path.join(workspace, name), text);
  }
  fs.writeFileSync(path.join(workspace, '.editor-run.json'), JSON.stringify(runInfo));
  return workspace;
}

/** Bundles a suite for the extension host (`vscode` stays external); returns its folder. */
export async function bundleSuite(entry: string, dir: string): Promise<string> {
  await esbuild.build({ entryPoints: [entry], outfile: path.join(dir, 'index.js'), bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning' });
  return dir;
}

/** Runs the suite; resolves with its result, or undefined (after printing why) when it gave none. */
export async function runSuite(run: SuiteRun): Promise<SuiteResult | undefined> {
  for (const [what, file] of [['code-server', CODE_SERVER], ['Chromium', CHROMIUM], ['the extension bundle', path.join(ROOT, 'dist', 'extension.js')]] as const) {
    if (!fs.existsSync(file)) throw new Error(`${what} is missing (${file}): run scripts/setup-editor.sh and npm run build first`);
  }
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-editor-'));
  const extensionsDir = path.join(temp, 'extensions');
  const workspace = prepareWorkspace(temp, run.files, { ...run.runInfo, installedFrom: run.vsix ? extensionsDir : ROOT, screenshots: true });
  const userData = path.join(temp, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
  }));
  const suiteDir = await bundleSuite(run.suite, path.join(temp, 'suite'));
  const serverArgs = ['--user-data-dir', userData, '--extensions-dir', extensionsDir];
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(temp, 'config'), XDG_DATA_HOME: path.join(temp, 'data') };
  if (run.vsix) {
    const installed = spawnSync(process.execPath, [CODE_SERVER, ...serverArgs, '--install-extension', run.vsix], { env, encoding: 'utf8' });
    if (installed.status !== 0) throw new Error(`code-server could not install ${run.vsix}: ${installed.stderr || installed.stdout}`);
  }

  const port = await freePort();
  const server = spawn(process.execPath, [CODE_SERVER, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', ...serverArgs,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', workspace], {
    detached: true, // its own process group, so the whole tree can be ended
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
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
    fs.mkdirSync(run.artifacts, { recursive: true });
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const text = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      const screenshot = /SFT_SCREENSHOT (\S+)(?: (.+))?/.exec(text);
      const ui = /SFT_UI (\S+) (\{.*\})/.exec(text);
      if (ui) void uiAction(page, JSON.parse(ui[2]!) as UiRequest, path.join(workspace, '.screenshots', `${ui[1]!}.done`));
      else if (screenshot) void takeScreenshot(page, path.join(run.artifacts, `${screenshot[1]!}.png`), path.join(workspace, '.screenshots', `${screenshot[1]!}.done`), screenshot[2]);
      else if (!/ENOTFOUND open-vsx|marketplace/.test(text)) console.log(`[editor ${type}] ${text}`);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
    const remote = (p: string): string => `vscode-remote://127.0.0.1:${port}${p}`;
    // An installed extension needs no development path; the suite's folder stands in for one,
    // since VS Code runs extension tests only in development mode.
    const developmentPath = run.vsix ? suiteDir : ROOT;
    if (run.vsix) fs.writeFileSync(path.join(suiteDir, 'package.json'), JSON.stringify({ name: 'sft-studio-editor-suite', publisher: 'sft-studio', version: '0.0.0', engines: { vscode: '^1.100.0' } }));
    const payload = JSON.stringify([['extensionDevelopmentPath', remote(developmentPath)], ['extensionTestsPath', remote(suiteDir)]]);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
    const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(-1), run.timeoutMs));
    const code = await Promise.race([exited, timeout]);
    const resultFile = path.join(workspace, '.editor-test-result.json');
    const result = fs.existsSync(resultFile) ? (JSON.parse(fs.readFileSync(resultFile, 'utf8')) as SuiteResult) : undefined;
    await page.goto('about:blank'); // or code-server keeps this window's extension host alive
    if (code === -1) {
      console.error(`The editor suite did not finish within ${run.timeoutMs / 1000} s. code-server said:\n${serverLog.join('').slice(-4000)}`);
      return undefined;
    }
    if (!result) console.error(`The editor suite exited with ${code} without a result. code-server said:\n${serverLog.join('').slice(-4000)}`);
    return result;
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
