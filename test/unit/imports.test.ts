/** The source has no import cycles: each module can be read, and loaded, on its own terms. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers';

/** Relative imports of every module under src/, type-only ones included. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) {
        const source = fs.readFileSync(full, 'utf8');
        const targets = [...source.matchAll(/^(?:import|export)\b[^;]*?from '(\.{1,2}\/[^']+)'/gms)].map((m) => {
          const base = path.resolve(path.dirname(full), m[1]!);
          return fs.existsSync(`${base}.ts`) ? `${base}.ts` : path.join(base, 'index.ts');
        });
        graph.set(full, targets);
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  return graph;
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

test('no module imports itself through others', () => {
  const graph = importGraph();
  assert.ok(graph.size > 50, `read ${graph.size} modules`);
  const cycle = findCycle(graph);
  assert.equal(cycle?.map((f) => path.relative(ROOT, f)).join(' -> '), undefined);
});
