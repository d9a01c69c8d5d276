/**
 * Learning-rate schedules as transformers' `get_scheduler` computes them: a linear warmup from 0
 * over `warmupSteps`, then linear decay to 0, half a cosine to 0, or a constant. `step` is the
 * 0-based index of the optimizer step about to run.
 */
import type { TrainingSettings } from '../../common/trainConfig';

export function warmupSteps(settings: Pick<TrainingSettings, 'warmup_ratio'>, totalSteps: number): number {
  return Math.ceil(settings.warmup_ratio * totalSteps);
}

export function learningRateAt(step: number, totalSteps: number, settings: Pick<TrainingSettings, 'learning_rate' | 'lr_scheduler_type' | 'warmup_ratio'>): number {
  const peak = settings.learning_rate;
  const type = settings.lr_scheduler_type;
  if (type === 'constant') return peak;
  const warmup = warmupSteps(settings, totalSteps);
  if (step < warmup) return (peak * step) / Math.max(1, warmup);
  if (type === 'constant_with_warmup') return peak;
  const progress = (step - warmup) / Math.max(1, totalSteps - warmup);
  if (type === 'linear') return peak * Math.max(0, 1 - progress);
  return peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
