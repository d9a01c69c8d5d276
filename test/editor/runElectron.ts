/**
 * The same editor suite under @vscode/test-electron, for machines that can download VS Code.
 * Here only the npm registry is reachable, so it checks first and says why it skips; the suite
 * runs in code-server instead (runEditorTests.ts).
 *
 *   node --import tsx test/editor/runElectron.ts
 */
import { lookup } from 'node:dns/promises';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { bundleSuite, prepareWorkspace, ROOT } from './codeServer';
import { FIXTURES } from './fixtures';

/** Where @vscode/test-electron downloads VS Code from. */
const DOWNLOAD_HOST = 'update.code.visualstudio.com';

async function unreachableReason(): Promise<string | undefined> {
  try {
    await Promise.race([lookup(DOWNLOAD_HOST), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 5000))]);
    return undefined;
  } catch (error) {
    return `${DOWNLOAD_HOST} cannot be reached (${error instanceof Error ? error.message : String(error)})`;
  }
}

async function main(): Promise<number> {
  const why = await unreachableReason();
  if (why) {
    console.log(`SKIP @vscode/test-electron: it downloads VS Code, and ${why}; the same suite ran in code-server`);
    return 0;
  }
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-electron-'));
  try {
    const workspace = prepareWorkspace(temp, FIXTURES(), { installedFrom: ROOT, screenshots: false });
    const suite = await bundleSuite(path.join(__dirname, 'suite', 'index.ts'), path.join(temp, 'suite'));
    return await runTests({ extensionDevelopmentPath: ROOT, extensionTestsPath: path.join(suite, 'index.js'), launchArgs: [workspace, '--disable-workspace-trust', '--user-data-dir', path.join(temp, 'user-data')] });
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
