/**
 * Training from the editor in code-server: the time from "Start LoRA Training" to the run panel's
 * first plotted point, on the tiny model of the editor tests (a fresh trainer process each time:
 * Node start, TensorFlow.js WASM, model and dataset load, the first optimizer step, the event to
 * the panel, the panel's drawing). The reference, measured in the same session: the plain CLI
 * (`sft-studio train --events stdout`) from spawn to its first step event, on the same project.
 * Medians of 5 editor runs and 3 CLI runs.
 *
 *   npx tsx bench/training.bench.ts
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, prepareWorkspace, runSuite } from '../test/editor/codeServer';
import { trainingFixtures } from '../test/editor/fixtures';
import { median } from './median';


/** Spawn to the first step event on stdout, in milliseconds. */
function cliFirstStep(project: string, runDir: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'sft-studio'), 'train', project, '--output-dir', runDir, '--backend', 'wasm', '--events', 'stdout'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (/"type":"step"/.test(text)) {
        const elapsed = performance.now() - started;
        child.kill('SIGKILL');
        resolve(elapsed);
      }
    });
    child.on('error', reject);
  });
}

async function main(): Promise<void> {
  const files = trainingFixtures();
  const result = await runSuite({ suite: path.join(__dirname, 'training', 'suite.ts'), files, timeoutMs: 600_000, artifacts: path.join(ROOT, '.bench', 'training') });
  if (!result) throw new Error('the training benchmark gave no result');
  const editor = (result['figures'] as { firstPointMs: number[] }).firstPointMs;
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-train-bench-'));
  const workspace = prepareWorkspace(temp, files, {});
  const cli: number[] = [];
  for (let i = 0; i < 3; i++) cli.push(await cliFirstStep(path.join(workspace, 'train', 'sft-studio.json'), path.join(workspace, 'train', 'runs', `cli-${i}`)));
  fs.rmSync(temp, { recursive: true, force: true });
  console.log(`editor, command to first plotted point: ${editor.map((ms) => Math.round(ms)).join(', ')} ms; median ${Math.round(median(editor))} ms`);
  console.log(`reference, CLI spawn to first step event: ${cli.map((ms) => Math.round(ms)).join(', ')} ms; median ${Math.round(median(cli))} ms`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
