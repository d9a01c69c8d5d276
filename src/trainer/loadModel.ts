/**
 * Loads a model for inference, with a PEFT LoRA adapter attached when one is given; the adapter
 * must fit the model (same module names and shapes). Used by `generate` and `forward`.
 */
import { LlamaModel } from './model/llama';
import { attachLoraWeights } from './model/lora';
import { AdapterError, loadAdapter } from './peftAdapter';

export interface LoadedModel {
  model: LlamaModel;
}

export function loadModelWithAdapter(modelDir: string, adapterDir?: string): LoadedModel {
  const adapter = adapterDir ? loadAdapter(adapterDir) : undefined;
  const model = LlamaModel.load(modelDir);
  if (!adapter) return { model };
  try {
    const slots = new Map(model.moduleSlots().map((slot) => [slot.name, slot.get()]));
    for (const [name, weights] of adapter.weights) {
      const linear = slots.get(name);
      if (!linear) throw new AdapterError(`The adapter in ${adapterDir} adapts ${name}, which this ${model.config.architecture} model does not have: was it trained on another model?`);
      if (linear.inFeatures !== weights.inFeatures || linear.outFeatures !== weights.outFeatures) {
        throw new AdapterError(`The adapter's ${name} is ${weights.outFeatures}x${weights.inFeatures} but the model's is ${linear.outFeatures}x${linear.inFeatures}: the adapter belongs to another model`);
      }
    }
    attachLoraWeights(model, adapter.weights, adapter.settings);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model };
}
