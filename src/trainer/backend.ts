/**
 * Chooses the TensorFlow.js backend. WASM with SIMD is the default on CPU; `webgpu` runs on any
 * GPU with a Vulkan, Metal or D3D12 driver through Dawn (the `webgpu` package); `tensorflow` uses
 * `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` when the user has installed them (they
 * cannot install everywhere, so they are optional and looked up at run time); `cpu` is the slow
 * pure-JavaScript reference. The result says which backend ran and why the others did not.
 */
import { UserError } from '../common/errors';
import * as fs from 'node:fs';
import { hasLinuxGpuDevice } from './gpuDevice';
import { createRequire } from 'node:module';
import * as os from 'node:os';
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

export class BackendError extends UserError {
  override readonly name = 'BackendError';
}

// Optional packages are required by name at run time, so bundling never needs them installed.
const optionalRequire = createRequire(__filename);

/** Returns undefined when the backend is ready, else why it cannot be used. */
type BackendSetup = (request: BackendRequest) => Promise<string | undefined>;

const SETUPS: Record<BackendName, BackendSetup> = {
  async tensorflow() {
    // TensorFlow's C++ start-up notes (CPU features, cuDNN versions) are not for the user.
    process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
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
  async webgpu(request) {
    // On Linux a GPU driver exposes device nodes; without any, probing Dawn only costs time and
    // prints its warnings, and would at best find a software adapter that auto skips anyway.
    if (request === 'auto' && process.platform === 'linux' && !hasLinuxGpuDevice()) {
      return 'no GPU device was found (/dev/dri, /dev/nvidia0)';
    }
    const adapter = await webgpuAdapter();
    if (typeof adapter === 'string') return adapter;
    if (request === 'auto' && adapter.info.architecture === 'software') {
      return `only a software WebGPU adapter (${adapter.info.device || adapter.info.vendor}) is available, which is slower than WASM`;
    }
    // Registers itself only if navigator.gpu exists when it loads, so it is loaded now; it is
    // bundled, so that it registers with this bundle's copy of TensorFlow.js.
    await import('@tensorflow/tfjs-backend-webgpu');
    return (await tf.setBackend('webgpu')) ? undefined : 'the WebGPU backend failed to start';
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

interface GpuAdapterLike {
  info: { vendor: string; architecture: string; device: string };
}

/**
 * Dawn's WebGPU for Node, from the optional `webgpu` package: its native module is loaded
 * directly (the package's entry is an ES module), and its globals installed as a browser has them.
 */
async function webgpuAdapter(): Promise<GpuAdapterLike | string> {
  let dawn: { create(options: string[]): { requestAdapter(): Promise<GpuAdapterLike | null> }; globals: object };
  try {
    const dir = path.dirname(optionalRequire.resolve('webgpu/package.json'));
    const platform = process.platform === 'darwin' ? 'darwin-universal' : `${process.platform}-${process.arch}`;
    dawn = optionalRequire(path.join(dir, 'dist', platform, 'dawn.node')) as typeof dawn;
  } catch {
    return 'the webgpu package (Dawn for Node) is not installed, or has no binary for this platform';
  }
  // Vulkan loaders want a runtime directory; any writable folder will do.
  process.env['XDG_RUNTIME_DIR'] ??= os.tmpdir();
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  if (!('navigator' in globalThis) || !(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  const adapter = await gpu.requestAdapter();
  return adapter ?? 'no WebGPU adapter was found: install a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver';
}

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

/** Selects and initialises a backend; `auto` prefers native TensorFlow, then a GPU, then WASM. */
export async function initBackend(request: BackendRequest): Promise<BackendChoice> {
  const order: BackendName[] = request === 'auto' ? ['tensorflow', 'webgpu', 'wasm'] : [request];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of order) {
    const reason = await SETUPS[name](request);
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
