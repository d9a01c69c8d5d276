/**
 * Chooses the TensorFlow.js backend. WASM with SIMD is the default on CPU; `tensorflow` uses
 * `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` when the user has installed them (they
 * cannot install everywhere, so they are optional and looked up at run time); `cpu` is the slow
 * pure-JavaScript reference. The result says which backend ran and why the others did not.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// Importing a binding keeps the module, whose loading registers the backend; a bare import is
// dropped by the bundler because the package declares itself free of side effects.
import { version_cpu as cpuBackendVersion } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'wasm' | 'webgpu' | 'tensorflow' | 'cpu';
export type BackendRequest = BackendName | 'auto';

export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'wasm', 'webgpu', 'tensorflow', 'cpu'];

export interface BackendChoice {
  name: BackendName;
  /** Why each backend that was tried before this one was skipped. */
  skipped: Array<{ name: BackendName; reason: string }>;
}

export class BackendError extends Error {
  override readonly name = 'BackendError';
}

// Optional packages are required by name at run time, so bundling never needs them installed.
const optionalRequire = createRequire(__filename);

type BackendSetup = () => Promise<string | undefined>;

const SETUPS: Record<BackendName, BackendSetup> = {
  async tensorflow() {
    for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        optionalRequire(name);
        if (await tf.setBackend('tensorflow')) return undefined;
      } catch {
        // try the next one
      }
    }
    return 'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed (npm install one of them where libtensorflow can be downloaded)';
  },
  async webgpu() {
    return 'the WebGPU backend is not part of this build yet';
  },
  async wasm() {
    const dir = wasmDirectory();
    if (!dir) return 'the WebAssembly binaries (tfjs-backend-wasm-simd.wasm) were not found';
    setWasmPaths(`${dir}${path.sep}`);
    return (await tf.setBackend('wasm')) ? undefined : 'the WebAssembly backend failed to start';
  },
  async cpu() {
    return (await tf.setBackend('cpu')) ? undefined : `the CPU backend (${cpuBackendVersion}) failed to start`;
  },
};

/** Where the .wasm files are: next to the bundle, or in the installed package. */
function wasmDirectory(): string | undefined {
  const candidates = [__dirname];
  try {
    candidates.push(path.dirname(optionalRequire.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')));
  } catch {
    // not installed as a package: the bundle's copy must do
  }
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm')));
}

/** Selects and initialises a backend; `auto` prefers native TensorFlow, then WASM. */
export async function initBackend(request: BackendRequest): Promise<BackendChoice> {
  const order: BackendName[] = request === 'auto' ? ['tensorflow', 'wasm'] : [request];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of order) {
    const reason = await SETUPS[name]();
    if (reason === undefined) {
      await tf.ready();
      return { name, skipped };
    }
    skipped.push({ name, reason });
  }
  throw new BackendError(`No backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

export function describeBackend(choice: BackendChoice): string {
  const notes = choice.skipped.map((s) => `${s.name} skipped: ${s.reason}`);
  return [`backend: ${choice.name}`, ...notes].join('\n');
}
