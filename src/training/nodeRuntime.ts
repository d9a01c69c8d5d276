/**
 * Which Node runs the trainer: the `sftStudio.nodePath` setting when set, else a `node` on PATH,
 * else the editor's own executable run as plain Node (`ELECTRON_RUN_AS_NODE`). The trainer never
 * runs inside the extension host: a long TensorFlow.js loop there would stall every extension.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface NodeRuntime {
  executable: string;
  /** Added to the child's environment. */
  env: Record<string, string>;
  /** Where the choice came from, for the output channel. */
  source: 'setting' | 'PATH' | 'editor';
}

export class NodeRuntimeError extends Error {}

export function findNodeRuntime(configured: string | undefined, env: NodeJS.ProcessEnv = process.env, editorExecutable = process.execPath): NodeRuntime {
  if (configured && configured.trim().length > 0) {
    const executable = configured.trim();
    if (!isExecutableFile(executable)) {
      throw new NodeRuntimeError(`sftStudio.nodePath is "${executable}", which is not an executable file: set it to a Node.js 20 or newer (such as /usr/bin/node), or clear it to use the node on PATH`);
    }
    return { executable, env: {}, source: 'setting' };
  }
  const onPath = findOnPath(process.platform === 'win32' ? 'node.exe' : 'node', env['PATH'] ?? '');
  if (onPath) return { executable: onPath, env: {}, source: 'PATH' };
  return { executable: editorExecutable, env: { ELECTRON_RUN_AS_NODE: '1' }, source: 'editor' };
}

export function findOnPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir.length === 0) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
