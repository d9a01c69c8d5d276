/**
 * The weights of a Hugging Face model folder: `model.safetensors`, or shards listed in
 * `model.safetensors.index.json`. Every shard the index names must exist and hold the tensors it
 * claims; each tensor is read when asked for, and checked against the shape the model expects.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SafetensorsFile, WeightsError } from './safetensors';

export class ModelWeights {
  private constructor(private readonly byName: ReadonlyMap<string, SafetensorsFile>, private readonly files: SafetensorsFile[], readonly dir: string) {}

  static open(dir: string): ModelWeights {
    const indexPath = path.join(dir, 'model.safetensors.index.json');
    const singlePath = path.join(dir, 'model.safetensors');
    if (fs.existsSync(indexPath)) return ModelWeights.openSharded(dir, indexPath);
    if (!fs.existsSync(singlePath)) {
      throw new WeightsError(`${dir} has no model.safetensors or model.safetensors.index.json: only safetensors weights are supported (convert .bin / .pth checkpoints first)`);
    }
    const file = SafetensorsFile.open(singlePath);
    return new ModelWeights(new Map([...file.tensors.keys()].map((name) => [name, file])), [file], dir);
  }

  private static openSharded(dir: string, indexPath: string): ModelWeights {
    let weightMap: Record<string, string>;
    try {
      weightMap = (JSON.parse(fs.readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> }).weight_map;
      if (!weightMap || typeof weightMap !== 'object') throw new Error('no weight_map');
    } catch (error) {
      throw new WeightsError(`${indexPath} is not a valid safetensors index (${(error as Error).message})`);
    }
    const opened = new Map<string, SafetensorsFile>();
    const byName = new Map<string, SafetensorsFile>();
    try {
      for (const [name, shard] of Object.entries(weightMap)) {
        const shardPath = path.join(dir, shard);
        let file = opened.get(shard);
        if (!file) {
          if (!fs.existsSync(shardPath)) throw new WeightsError(`Shard ${shard}, listed in ${path.basename(indexPath)}, is missing from ${dir}`);
          file = SafetensorsFile.open(shardPath);
          opened.set(shard, file);
        }
        if (!file.tensors.has(name)) throw new WeightsError(`Shard ${shard} does not contain "${name}", which ${path.basename(indexPath)} says it holds`);
        byName.set(name, file);
      }
    } catch (error) {
      for (const file of opened.values()) file.close();
      throw error;
    }
    return new ModelWeights(byName, [...opened.values()], dir);
  }

  /** Every tensor name, in file order. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** A tensor's stored shape. */
  shapeOf(name: string): number[] {
    const info = this.byName.get(name)?.tensors.get(name);
    if (!info) throw new WeightsError(`The weights in ${this.dir} have no tensor "${name}"`);
    return info.shape;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Reads a tensor and checks its shape. */
  read(name: string, expectedShape: readonly number[]): Float32Array {
    const file = this.byName.get(name);
    if (!file) throw new WeightsError(`The weights in ${this.dir} have no tensor "${name}"`);
    const { shape, values } = file.read(name);
    if (shape.length !== expectedShape.length || shape.some((d, i) => d !== expectedShape[i])) {
      throw new WeightsError(`Tensor "${name}" has shape [${shape.join(', ')}] but config.json implies [${expectedShape.join(', ')}]`);
    }
    return values;
  }

  close(): void {
    for (const file of this.files) file.close();
  }
}
