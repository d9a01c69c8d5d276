/**
 * Whether this Linux machine exposes a GPU device: a DRM render node or NVIDIA's device file.
 * Without one, starting Dawn (WebGPU) only costs time, so neither the backend choice nor the CLI's
 * native-warning filter does. No TensorFlow.js here, so the CLI bundle can import it.
 */
import * as fs from 'node:fs';

export function hasLinuxGpuDevice(): boolean {
  const renderNodes = fs.existsSync('/dev/dri') && fs.readdirSync('/dev/dri').some((name) => name.startsWith('renderD'));
  return renderNodes || fs.existsSync('/dev/nvidia0');
}
