/**
 * "Download from Hugging Face…": asks for a hub id, downloads the model's files into the local
 * Hugging Face cache with progress and cancel, and returns the choice to write into
 * sft-studio.json. The download itself is `src/dataset/load/hubDownload.ts`.
 */
import * as vscode from 'vscode';
import { hubCacheDir } from '../dataset/load/hubCache';
import { downloadModel, hubIdProblem } from '../dataset/load/hubDownload';
import type { ModelChoice } from './modelPicker';

export const DOWNLOAD_MODEL_COMMAND = 'sftStudio.downloadModel';

/** Downloads `hubId` (asked for when not given); undefined when cancelled or failed (after saying why). */
export async function downloadFromHub(hubId?: string): Promise<ModelChoice | undefined> {
  const id = hubId ?? (await vscode.window.showInputBox({
    title: 'SFT Studio: Download from Hugging Face',
    prompt: `The model's hub id. Its config, tokenizer, chat template and weights go to ${hubCacheDir()} (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT and HF_TOKEN are honoured).`,
    placeHolder: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === '' ? undefined : hubIdProblem(value.trim())),
  }))?.trim();
  if (!id) return undefined;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Downloading ${id}`, cancellable: true }, async (progress, cancel) => {
    const controller = new AbortController();
    const cancelled = cancel.onCancellationRequested(() => controller.abort());
    let reported = 0;
    try {
      await downloadModel(id, {
        signal: controller.signal,
        onProgress: (p) => {
          const percent = p.bytesTotal > 0 ? (100 * p.bytesDone) / p.bytesTotal : 0;
          progress.report({ message: `${p.file}: ${p.done} of ${p.files} files, ${megabytes(p.bytesDone)} of ${megabytes(p.bytesTotal)} MB`, increment: percent - reported });
          reported = percent;
        },
      });
      return { key: 'model', value: id } satisfies ModelChoice;
    } catch (error) {
      if (!controller.signal.aborted) void vscode.window.showErrorMessage(`SFT Studio: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    } finally {
      cancelled.dispose();
    }
  });
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}
