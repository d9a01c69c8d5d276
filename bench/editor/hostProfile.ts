/**
 * Reads a V8 CPU profile of the extension host and finds the longest stretch of consecutive
 * samples spent in SFT Studio's own bundle: monitorEventLoopDelay sees every block of the host,
 * VS Code's own included (receiving a 34 MB document, built-in link and merge-conflict scans),
 * and the profile tells which of them are ours.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Milliseconds of the longest run of samples whose stack holds a frame of `bundle`, and the total. */
export function timeInBundle(profile: CpuProfile, bundle: string): { longestMs: number; totalMs: number } {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inBundle = new Map<number, boolean>();
  const ours = (id: number): boolean => {
    const known = inBundle.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const result = node !== undefined && (node.callFrame.url.includes(bundle) || (parent.has(id) && ours(parent.get(id)!)));
    inBundle.set(id, result);
    return result;
  };
  let longest = 0;
  let total = 0;
  let run = 0;
  profile.samples.forEach((sample, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    if (ours(sample)) {
      run += delta;
      total += delta;
      longest = Math.max(longest, run);
    } else {
      run = 0;
    }
  });
  return { longestMs: longest / 1000, totalMs: total / 1000 };
}
