/**
 * Tests that run inside the real VS Code extension host (code-server): the wiring of every editor
 * feature, waiting on editor events, never on sleeps. The module follows VS Code's extension-test
 * contract: `run()` resolves or rejects.
 *
 * The suite runs in two phases around a window reload: the first runs every test, saves its
 * results and reloads the window; the reloaded window runs this module again, which sees the
 * saved results and runs only the tests about what must survive a reload. A launcher that cannot
 * reload (no browser) runs the first phase only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CLEAN_DATA_TESTS } from './cleanData.tests';
import { DIAGNOSTIC_TESTS } from './diagnostics.tests';
import { FEATURE_TESTS } from './features.tests';
import { runInfo, workspaceRoot, type EditorTest } from './helpers';
import { AFTER_RELOAD_TESTS, snapshotRunsForReload, TRAINING_TESTS } from './training.tests';

const TESTS = [...DIAGNOSTIC_TESTS, ...FEATURE_TESTS, ...CLEAN_DATA_TESTS, ...TRAINING_TESTS];
const FIRST_PHASE = '.editor-first-phase.json';

async function runTests(tests: readonly EditorTest[], failures: string[]): Promise<number> {
  let passed = 0;
  for (const [name, body] of tests) {
    try {
      await body();
      passed++;
      console.log(`editor test passed: ${name}`);
    } catch (error) {
      failures.push(name);
      console.error(`editor test FAILED: ${name}\n${error instanceof Error ? error.stack : String(error)}`);
    }
  }
  return passed;
}

export async function run(): Promise<void> {
  const firstPhase = path.join(workspaceRoot(), FIRST_PHASE);
  const canReload = runInfo().screenshots === true;
  const failures: string[] = [];
  let passed: number;
  if (!fs.existsSync(firstPhase)) {
    // `runEditorTests.ts --only PREFIX` runs the tests whose names start with PREFIX (while developing).
    const only = runInfo().only;
    passed = await runTests(only ? TESTS.filter(([name]) => name.startsWith(only)) : TESTS, failures);
    if (canReload) {
      await snapshotRunsForReload();
      fs.writeFileSync(firstPhase, JSON.stringify({ passed, failures }));
      console.log(`first phase: ${passed} passed, ${failures.length} failed; reloading the window`);
      await vscode.commands.executeCommand('workbench.action.reloadWindow');
      // The reload ends this extension host; reaching the end of this wait means it did not happen.
      await new Promise((resolve) => setTimeout(resolve, 60_000));
      fs.rmSync(firstPhase);
      failures.push('the window did not reload');
    }
  } else {
    const saved = JSON.parse(fs.readFileSync(firstPhase, 'utf8')) as { passed: number; failures: string[] };
    fs.rmSync(firstPhase);
    const only = runInfo().only;
    passed = saved.passed + (await runTests(only ? AFTER_RELOAD_TESTS.filter(([name]) => name.startsWith(only)) : AFTER_RELOAD_TESTS, failures));
    failures.unshift(...saved.failures);
  }
  const summary = `${passed} passed, ${failures.length} failed`;
  fs.writeFileSync(path.join(workspaceRoot(), '.editor-test-result.json'), JSON.stringify({ passed, failures }));
  console.log(summary);
  if (failures.length > 0) throw new Error(`editor tests failed: ${failures.join('; ')}`);
}
