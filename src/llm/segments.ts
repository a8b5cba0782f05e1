// Cutting the node list into onnxruntime sessions. A segment is a run of consecutive nodes; the
// engine runs segments in order and passes values between them in JS, where interventions are
// applied. Cuts fall at the graph's boundaries (the engine passes one per block for patch runs
// and runs with large hooks, and only the unembedding's otherwise) and right after each patched
// value (so a patch inside a block costs two half-block sessions, not a whole-model graph).
// Nodes that nothing asked for are pruned, which is what lets a run without hooks keep
// onnxruntime free to fuse; a range of nodes whose inner values nobody asked for may be replaced by one fused node
// (`Fusion`: attention as onnxruntime's Attention op when no attention hook is wanted), and one
// whose inner values are only read by cheaper nodes that still export them (`readOnly`).
import { encodeModel, type ConstTensor, type ElemType, type ExternalTensor, type OnnxNode } from './onnx-graph.ts';
import type { Tensor } from './types.ts';

export interface NodeGraph {
  nodes: OnnxNode[];
  /** Node indices at which a new segment always begins. */
  boundaries: number[];
  /** Values fed from JS before the first node. */
  inputs: string[];
  /** Small constants by name; any other name a node reads that no node produces is a weight. */
  constants: Map<string, ConstTensor>;
  /** Element types of values that are not float32. */
  valueTypes: Map<string, ElemType>;
  /** Declared shapes of values (names for dynamic dimensions), where known. */
  shapes: Map<string, (number | string)[]>;
  /** Optional replacements of node ranges by one node, used when no inner value is wanted. */
  fusions: Fusion[];
}

/**
 * Nodes first..last (contiguous) computed by one node instead. The replacement reads what the
 * range reads from outside and produces the last node's outputs; the values made inside the range
 * exist only when the range is not fused.
 */
export interface Fusion {
  first: number;
  last: number;
  node: OnnxNode;
  /** Nodes that run before `node` in the replacement; their values exist only inside it. */
  lead?: OnnxNode[];
  /**
   * The replacement's output holds only some positions' rows (the last block for the logit
   * rows: gpt2-graph.ts), so it applies only when nobody reads or patches that value itself.
   */
  partialOutput?: boolean;
  /**
   * Optional cheaper nodes for the same range when its inner values are read but none is
   * patched: they produce every inner value named in `exports` (besides the last node's outputs)
   * and are placed at the start of the range, in order. Not usable when an inner value is
   * patched, because they do not compute the later values from the earlier ones.
   */
  readOnly?: { nodes: OnnxNode[]; exports: string[] };
}

export interface SegmentRequest {
  /** Values the caller wants back (requested hooks, logits). */
  targets: string[];
  /** Values to stop after (patched hooks): the segment producing one ends with its producer. */
  cutAfter: string[];
}

export interface Segment {
  /** Stable identity for the session cache: same nodes and outputs ⇒ same session. */
  key: string;
  /** Indices into the node list, ascending (a fused range appears as its last index). */
  nodes: number[];
  /** The nodes themselves, fused replacements included. */
  ops: OnnxNode[];
  /** Values consumed from earlier segments or JS inputs. */
  inputs: string[];
  /** Values produced here that a later segment, a cut or the caller needs. */
  outputs: string[];
  /** Names the nodes read that no node produces and that are not JS inputs: weights and constants. */
  initializers: string[];
}

export interface SegmentPlan {
  segments: Segment[];
  /** For each value passed between segments: index of the last segment reading it (after which JS may drop it). */
  lastUse: Map<string, number>;
}

export function planSegments(graph: NodeGraph, req: SegmentRequest): SegmentPlan {
  const nodes = effectiveNodes(graph, new Set(req.targets), new Set(req.cutAfter));
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    n?.outputs.forEach((o) => producer.set(o, i));
    n?.inputs.forEach((v) => consumers.set(v, [...(consumers.get(v) ?? []), i]));
  });
  const external = new Set(graph.inputs);
  for (const t of [...req.targets, ...req.cutAfter]) {
    if (!producer.has(t) && !external.has(t)) throw new Error(`planSegments: no node produces "${t}"`);
  }
  const node = (i: number): OnnxNode => nodes[i]!;

  // Backward liveness: a node is needed if something needed reads its output.
  const neededValues = new Set(req.targets);
  const needed: boolean[] = new Array(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!nodes[i]?.outputs.some((o) => neededValues.has(o))) continue;
    needed[i] = true;
    for (const input of node(i).inputs) if (input) neededValues.add(input);
  }

  const boundaries = new Set(graph.boundaries);
  const cutAfterNode = new Set<number>();
  for (const v of req.cutAfter) {
    const p = producer.get(v);
    if (p !== undefined && needed[p]) cutAfterNode.add(p);
  }

  // Group needed nodes into segments.
  const groups: number[][] = [];
  let current: number[] = [];
  for (let i = 0; i < nodes.length; i++) {
    if (boundaries.has(i) && current.length) {
      groups.push(current);
      current = [];
    }
    if (!needed[i]) continue;
    current.push(i);
    if (cutAfterNode.has(i)) {
      groups.push(current);
      current = [];
    }
  }
  if (current.length) groups.push(current);

  const segmentOf = new Map<number, number>();
  groups.forEach((grp, s) => grp.forEach((i) => segmentOf.set(i, s)));
  const wanted = new Set([...req.targets, ...req.cutAfter]);
  const lastUse = new Map<string, number>();
  const segments = groups.map((grp, s): Segment => {
    const produced = new Set(grp.flatMap((i) => node(i).outputs));
    const inputs: string[] = [];
    const initializers: string[] = [];
    for (const i of grp) {
      for (const input of node(i).inputs) {
        if (!input || produced.has(input)) continue;
        const fromEarlier = external.has(input) || producer.has(input);
        const list = fromEarlier ? inputs : initializers;
        if (!list.includes(input)) list.push(input);
        if (fromEarlier) lastUse.set(input, s);
      }
    }
    const outputs = [...produced].filter((v) => wanted.has(v) || readLater(v, s));
    // Ops as well as indices: a fused replacement occupies slots of the range it replaces.
    return { key: `${grp.map((i) => `${i}:${node(i).op}`).join(',')}→${outputs.join(',')}`, nodes: grp, ops: grp.map(node), inputs, outputs, initializers };
  });

  function readLater(value: string, s: number): boolean {
    return (consumers.get(value) ?? []).some((j) => (segmentOf.get(j) ?? -1) > s);
  }

  return { segments, lastUse };
}

/**
 * The node list with every fusion whose inner values nobody wants applied, and every read-only
 * rewrite whose inner values are read but not patched; dropped nodes are null.
 */
function effectiveNodes(graph: NodeGraph, read: Set<string>, patched: Set<string>): (OnnxNode | null)[] {
  const nodes: (OnnxNode | null)[] = [...graph.nodes];
  for (const f of graph.fusions) {
    const inner = graph.nodes.slice(f.first, f.last).flatMap((n) => n.outputs);
    const wantedInner = inner.filter((v) => read.has(v) || patched.has(v));
    let replacement: OnnxNode[];
    if (f.partialOutput && f.node.outputs.some((v) => read.has(v) || patched.has(v))) continue;
    if (wantedInner.length === 0) replacement = [...(f.lead ?? []), f.node];
    else if (f.readOnly && !wantedInner.some((v) => patched.has(v)) && wantedInner.every((v) => f.readOnly!.exports.includes(v))) replacement = f.readOnly.nodes;
    else continue;
    if (replacement.length > f.last - f.first + 1) throw new Error(`internal: a fusion of ${f.last - f.first + 1} nodes has ${replacement.length} replacements`);
    for (let i = f.first; i < f.last; i++) nodes[i] = null;
    // The replacement's last node produces the range's output; any others take the first slots.
    replacement.slice(0, -1).forEach((n, i) => (nodes[f.first + i] = n));
    nodes[f.last] = replacement[replacement.length - 1];
  }
  return nodes;
}

/**
 * A segment as ONNX model bytes: its nodes, its weights and constants as initializers. Inputs get
 * their shapes where known (it helps fusion); outputs only a type (the unembedding's second
 * dimension is not always `pos`). Returns the weight bytes too, for the session cache's budget.
 */
export async function segmentModel(
  graph: NodeGraph,
  seg: Segment,
  weight: (name: string) => Tensor | ExternalTensor | Promise<Tensor | ExternalTensor>,
): Promise<{ bytes: Uint8Array; weightBytes: number }> {
  const initializers = new Map<string, ConstTensor | ExternalTensor>();
  let weightBytes = 0;
  for (const name of seg.initializers) {
    const constant = graph.constants.get(name);
    if (constant) {
      initializers.set(name, constant);
      continue;
    }
    const w = await weight(name);
    if ('external' in w) {
      initializers.set(name, w);
      weightBytes += w.external.length;
      continue;
    }
    initializers.set(name, { type: 'float32', dims: w.dims, data: w.data });
    weightBytes += w.data.byteLength;
  }
  const valueInfo = (name: string, withShape: boolean) => ({
    name,
    type: graph.valueTypes.get(name) ?? 'float32',
    shape: withShape ? graph.shapes.get(name) : undefined,
  });
  const bytes = encodeModel({
    name: `nodes ${seg.nodes[0]}-${seg.nodes[seg.nodes.length - 1]}`,
    nodes: seg.ops,
    inputs: seg.inputs.map((v) => valueInfo(v, true)),
    outputs: seg.outputs.map((v) => valueInfo(v, false)),
    initializers,
  });
  return { bytes, weightBytes };
}
