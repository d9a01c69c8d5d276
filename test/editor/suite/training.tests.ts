/**
 * Training in the real editor, through the workbench where a person would click: a run started
 * from the command palette on a tiny generated model, its panel plotting points and showing
 * samples, Stop from the palette, a killed trainer, a blocked dataset, model output that looks like
 * HTML, Try Adapter, the comparison view, and (after the window reloads) the history intact.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HTML_OUTPUT, SAMPLE_PROMPT } from '../trainingConstants';
import { api, eventually, openDataset, screenshot, throughUi, workspaceRoot, type EditorTest } from './helpers';

type Training = Awaited<ReturnType<typeof api>>['training'];
type RunRow = ReturnType<Training['runs']>[number];

const trainDir = (): string => path.join(workspaceRoot(), 'train');
const runsDir = (): string => path.join(trainDir(), 'runs');
const training = async (): Promise<Training> => (await api()).training;

async function run(runDir: string): Promise<RunRow | undefined> {
  return (await training()).runs().find((r) => r.runDir === runDir);
}

/** What the runs looked like before the window reloads, for the test after it. */
export const RELOAD_SNAPSHOT = '.editor-runs-before-reload.json';

let stoppedRun: string | undefined;

export const TRAINING_TESTS: EditorTest[] = [
  ['training: a dataset with errors is blocked before anything is spawned', async () => {
    const doc = await openDataset('train/broken.sft.jsonl');
    const before = fs.existsSync(runsDir()) ? fs.readdirSync(runsDir()) : [];
    const result = await vscode.commands.executeCommand<{ started: boolean; reason?: string; detail?: string }>('sftStudio.startLoraTraining', doc.uri);
    assert.equal(result.started, false);
    assert.equal(result.reason, 'errors');
    assert.match(result.detail ?? '', /1 error in broken\.sft\.jsonl \(first: line 2/);
    assert.deepEqual(fs.existsSync(runsDir()) ? fs.readdirSync(runsDir()) : [], before, 'no run folder was made');
    await screenshot('training-blocked');
  }],

  ['training: Start LoRA Training from the command palette plots points and samples live; Stop saves the adapter', async () => {
    await openDataset('train/train.sft.jsonl');
    const clicked = performance.now();
    await throughUi({ action: 'palette', title: 'SFT Studio: Start LoRA Training', command: 'sftStudio.startLoraTraining' });
    const started = await eventually(async () => (await training()).runs().find((r) => r.runDir.startsWith(runsDir()) && r.liveness === 'live'), 'a live run', 30_000);
    const first = await eventually(async () => {
      const rendered = (await training()).rendered(started.runDir);
      return rendered && rendered.points >= 1 ? rendered : undefined;
    }, 'the first plotted point', 120_000);
    console.log(`SFT_FIGURE first-plotted-point-ms ${Math.round(performance.now() - clicked)}`);
    await eventually(async () => {
      const rendered = (await training()).rendered(started.runDir);
      return rendered && rendered.points >= first.points + 3 && rendered.samples >= 1 ? rendered : undefined;
    }, 'the chart to gain points and a sample to appear', 120_000);
    assert.ok(await screenshot('training-live', SAMPLE_PROMPT), 'the panel shows the sample prompt');

    await throughUi({ action: 'palette', title: 'SFT Studio: Stop Training', command: 'sftStudio.stopTraining' });
    const stopped = await eventually(async () => {
      const row = await run(started.runDir);
      return row && row.liveness === 'ended' ? row : undefined;
    }, 'the run to stop', 120_000);
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.adapter, 'final');
    assert.ok(fs.existsSync(path.join(started.runDir, 'final', 'adapter_model.safetensors')));
    const item = await eventually(async () => (await training()).tree().find((i) => i.name === path.basename(started.runDir) && i.icon === 'debug-stop'), 'the tree to show it stopped');
    assert.match(item.contextValue, /\bstopped\b.*\bresumable\b.*\badapter\b/);
    assert.match(item.description, /train\.sft\.jsonl · model · loss \d+\.\d{3} · \d+s/);
    stoppedRun = started.runDir;
    await screenshot('training-stopped', 'Adapter (PEFT)');
  }],

  ['training: Try Adapter answers with the base model and with the adapter', async () => {
    assert.ok(stoppedRun, 'needs the stopped run');
    const answers = await vscode.commands.executeCommand<{ base: string; adapter: string } | undefined>('sftStudio.tryAdapter', stoppedRun, 'Hello!');
    assert.ok(answers, 'both answers came back');
    assert.equal(typeof answers.base, 'string');
    assert.equal(typeof answers.adapter, 'string');
    assert.ok(await screenshot('training-try-adapter', 'With the adapter'));
  }],

  ['training: Resume continues the stopped run; Merge and Export GGUF write their files', async () => {
    assert.ok(stoppedRun, 'needs the stopped run');
    const before = (await run(stoppedRun))!.steps;
    assert.ok(await vscode.commands.executeCommand<boolean>('sftStudio.resumeTraining', stoppedRun));
    await eventually(async () => {
      const row = await run(stoppedRun!);
      return row && row.liveness === 'live' && row.steps > before ? row : undefined;
    }, 'a step after resuming', 120_000);
    assert.ok(await vscode.commands.executeCommand<boolean>('sftStudio.stopTraining', stoppedRun));
    const resumed = await eventually(async () => {
      const row = await run(stoppedRun!);
      return row && row.liveness === 'ended' ? row : undefined;
    }, 'the resumed run to stop', 120_000);
    assert.equal(resumed.status, 'stopped');
    const merged = await vscode.commands.executeCommand<string | undefined>('sftStudio.mergeAdapter', stoppedRun);
    assert.ok(merged && fs.existsSync(path.join(merged, 'model.safetensors')) && fs.existsSync(path.join(merged, 'config.json')), `merged into ${merged}`);
    const gguf = await vscode.commands.executeCommand<string | undefined>('sftStudio.exportGguf', stoppedRun);
    assert.ok(gguf && fs.existsSync(gguf));
    assert.equal(fs.readFileSync(gguf).subarray(0, 4).toString('latin1'), 'GGUF');
  }],

  ['training: with no training settings, the form writes them into sft-studio.json, then the run starts; Delete Run removes it', async () => {
    const doc = await openDataset('form/data.sft.jsonl');
    const pending = vscode.commands.executeCommand<{ started: boolean; runDir?: string }>('sftStudio.startQloraTraining', doc.uri);
    await throughUi({ action: 'quickPick', title: 'QLoRA training on data.sft.jsonl', pick: 'Start Training' });
    const result = await pending;
    assert.ok(result.started && result.runDir, JSON.stringify(result));
    const project = JSON.parse(fs.readFileSync(path.join(workspaceRoot(), 'form', 'sft-studio.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    assert.equal(project['model'], '../train/model', 'what was there stays');
    assert.equal(project['dataset'], 'data.sft.jsonl');
    assert.deepEqual(project['quantization'], { load_in_4bit: true });
    assert.deepEqual(project['lora'], { r: 16, lora_alpha: 32, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] });
    assert.deepEqual(project['training'], { num_train_epochs: 3, learning_rate: 2e-4 });
    await eventually(async () => ((await run(result.runDir!))?.liveness === 'ended' ? true : undefined), 'the form\'s run to end', 120_000);
    const config = JSON.parse(fs.readFileSync(path.join(result.runDir, 'config.json'), 'utf8')) as { quantization: { load_in_4bit: boolean } };
    assert.equal(config.quantization.load_in_4bit, true, 'QLoRA trained');
    assert.ok(await vscode.commands.executeCommand<boolean>('sftStudio.deleteRun', result.runDir, true));
    assert.ok(!fs.existsSync(result.runDir));
    await eventually(async () => ((await training()).tree().every((item) => item.name !== path.basename(result.runDir!)) ? true : undefined), 'the tree to drop the run');
  }],

  ['training: a killed trainer ends as failed with its message', async () => {
    const doc = await openDataset('train/train.sft.jsonl');
    const result = await vscode.commands.executeCommand<{ started: boolean; runDir?: string }>('sftStudio.startLoraTraining', doc.uri);
    assert.ok(result.started && result.runDir);
    const live = await eventually(async () => {
      const row = await run(result.runDir!);
      return row && row.steps >= 1 && row.pid !== undefined ? row : undefined;
    }, 'a step of the second run', 120_000);
    process.kill(-live.pid!, 'SIGKILL');
    const failed = await eventually(async () => {
      const row = await run(result.runDir!);
      return row && row.liveness === 'ended' ? row : undefined;
    }, 'the killed run to end', 30_000);
    assert.equal(failed.status, 'failed');
    assert.match(failed.failure ?? '', /The trainer was ended by SIGKILL before the run ended/);
    await eventually(async () => (await training()).tree().find((i) => i.name === path.basename(result.runDir!) && i.icon === 'error'), 'the tree to show it failed');
    assert.ok(await screenshot('training-failed', 'SIGKILL'));
  }],

  ['training: comparing two runs shows their settings and measures side by side', async () => {
    const dirs = (await training()).runs().filter((r) => r.runDir.startsWith(runsDir())).map((r) => r.runDir).slice(0, 2);
    assert.equal(dirs.length, 2);
    const panel = await vscode.commands.executeCommand<vscode.WebviewPanel | undefined>('sftStudio.compareRuns', undefined, dirs);
    assert.ok(panel, 'the comparison view opened');
    assert.ok(await screenshot('training-compare', 'trainable parameters'));
    panel.dispose();
  }],

  ['walkthrough: "Fine-tune your first model" opens; its example project checks clean, trains with r = 8 and r = 64, and compares', async () => {
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', 'sft-studio.sft-studio#fineTuneFirstModel', false);
    assert.ok(await screenshot('walkthrough', 'Train with r = 8 and r = 64, and compare'), 'the walkthrough shows its steps');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    const dataset = await vscode.commands.executeCommand<vscode.Uri | undefined>('sftStudio.createExample');
    assert.ok(dataset && fs.existsSync(dataset.fsPath), 'the example project was written');
    const doc = await vscode.workspace.openTextDocument(dataset);
    assert.ok(await (await api()).whenChecked(doc));
    assert.deepEqual(vscode.languages.getDiagnostics(dataset).map((d) => d.message), [], 'the example is clean');
    const trainWithRank = async (r: number): Promise<string> => {
      const result = await vscode.commands.executeCommand<{ started: boolean; runDir?: string }>('sftStudio.startLoraTraining', dataset, { set: [`lora.r=${r}`, `lora.lora_alpha=${2 * r}`] });
      assert.ok(result.started && result.runDir, JSON.stringify(result));
      const done = await eventually(async () => {
        const row = await run(result.runDir!);
        return row && row.liveness === 'ended' ? row : undefined;
      }, `the r = ${r} run to end`, 180_000);
      assert.equal(done.status, 'completed', done.failure);
      const config = JSON.parse(fs.readFileSync(path.join(result.runDir, 'config.json'), 'utf8')) as { lora: { r: number } };
      assert.equal(config.lora.r, r, 'the run records the rank it trained with');
      return result.runDir;
    };
    const runs = [await trainWithRank(8), await trainWithRank(64)];
    await eventually(async () => ((await training()).rendered(runs[1]!)?.points === 27 ? true : undefined), 'the last run\'s panel to draw its 27 steps', 30_000);
    const panel = await vscode.commands.executeCommand<vscode.WebviewPanel | undefined>('sftStudio.compareRuns', undefined, runs);
    assert.ok(panel);
    assert.ok(await screenshot('walkthrough-compare', 'lora.lora_alpha'), 'the comparison lists the settings that differ');
    panel.dispose();
  }],

  ['training: model output that looks like HTML is shown as text', async () => {
    const runDir = path.join(runsDir(), 'html-output');
    assert.ok(await vscode.commands.executeCommand<boolean>('sftStudio.openRun', runDir));
    await eventually(async () => ((await training()).rendered(runDir)?.samples === 1 ? true : undefined), 'the panel to draw the sample');
    assert.ok(await screenshot('training-html-as-text', '<b>bold?</b>'), `the panel shows ${HTML_OUTPUT} literally`);
    assert.deepEqual((await training()).cspViolations(), [], 'the run panels kept to their content security policy');
  }],
];

/** Before the reload: the runs as the editor shows them, to compare with after. */
export async function snapshotRunsForReload(): Promise<void> {
  const rows = (await training()).runs().filter((r) => r.runDir.startsWith(runsDir()));
  fs.writeFileSync(path.join(workspaceRoot(), RELOAD_SNAPSHOT), JSON.stringify(rows));
}

export const AFTER_RELOAD_TESTS: EditorTest[] = [
  ['training: after a window reload the runs and their history are intact, and the open run panel comes back', async () => {
    const before = JSON.parse(fs.readFileSync(path.join(workspaceRoot(), RELOAD_SNAPSHOT), 'utf8')) as RunRow[];
    assert.ok(before.length >= 3, `runs before the reload: ${before.map((r) => path.basename(r.runDir)).join(', ')}`);
    for (const row of before) {
      const after = await eventually(() => run(row.runDir), `${path.basename(row.runDir)} after the reload`);
      assert.deepEqual([after.status, after.steps, after.samples, after.adapter, after.failure], [row.status, row.steps, row.samples, row.adapter, row.failure], path.basename(row.runDir));
    }
    const htmlRun = path.join(runsDir(), 'html-output');
    await eventually(async () => ((await training()).rendered(htmlRun)?.samples === 1 ? true : undefined), 'the restored panel to draw', 30_000);
    assert.ok(await screenshot('training-after-reload', '<b>bold?</b>'));
  }],
];
