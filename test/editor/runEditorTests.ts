/**
 * The real-editor tests (test/editor/suite) in code-server: once with the extension loaded from
 * this repository, and, with `--vsix FILE`, once more against that package installed with
 * `code-server --install-extension`, so a file missing from the package fails a test.
 *
 *   npm run test:editor   (scripts/test-editor.sh installs what it needs and builds the .vsix)
 */
import * as path from 'node:path';
import { ROOT, runSuite } from './codeServer';
import { FIXTURES } from './fixtures';

const SUITE_TIMEOUT_MS = 900_000;
/** Screenshots the suite asks for land here; CI keeps them as artifacts. */
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'editor');

async function main(): Promise<number> {
  const vsixAt = process.argv.indexOf('--vsix');
  const vsix = vsixAt >= 0 ? path.resolve(process.argv[vsixAt + 1] ?? '') : undefined;
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
  const runs: Array<{ label: string; vsix?: string }> = [{ label: 'development folder' }, ...(vsix ? [{ label: `installed ${path.basename(vsix)}`, vsix }] : [])];
  let passed = 0;
  let failed = 0;
  for (const { label, vsix: installed } of runs) {
    const result = await runSuite({
      suite: path.join(__dirname, 'suite', 'index.ts'),
      files: FIXTURES(),
      timeoutMs: SUITE_TIMEOUT_MS,
      artifacts: installed ? path.join(ARTIFACTS, 'vsix') : ARTIFACTS,
      ...(installed ? { vsix: installed } : {}),
      ...(only ? { runInfo: { only } } : {}),
    });
    if (!result) {
      console.log(`editor (${label}): the suite gave no result`);
      failed++;
      continue;
    }
    console.log(`editor (${label}): ${result.passed} passed, ${result.failures.length} failed`);
    passed += result.passed;
    failed += result.failures.length;
  }
  console.log(`editor: ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
