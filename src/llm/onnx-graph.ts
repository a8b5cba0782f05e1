// A small typed builder for ONNX models (ModelProto/GraphProto over onnx-proto's protobufjs
// classes). The engine describes GPT-2 as plain `OnnxNode` records and only turns them into
// protobuf bytes here, when a segment of the network becomes an onnxruntime session.
import onnxProto from 'onnx-proto';
import type { onnx as proto } from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX opset the graph is written against (ReduceMean takes `axes` as an attribute up to 17). */
export const OPSET = 17;
/** IR version 8 is what onnx-proto 8 (onnx 1.10) encodes; onnxruntime reads it. */
const IR_VERSION = 8;

export type ElemType = 'float32' | 'int64' | 'bool';

const ELEM_TYPE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string };

/** Attribute constructors, so an int and a float attribute cannot be confused. */
export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  ints: (value: number[]): Attr => ({ kind: 'ints', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
};

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, Attr>;
  /** '' (the default ONNX domain) unless a contrib op. */
  domain?: string;
  name?: string;
}

/** A constant tensor that becomes an initializer (weights and small constants alike). */
export interface ConstTensor {
  type: ElemType;
  dims: number[];
  data: Float32Array | BigInt64Array | Uint8Array;
}

/**
 * An initializer whose bytes stay in a file (ONNX external data): onnxruntime reads them itself,
 * so the weights are never copied through JS or the protobuf. `location` is relative to the
 * session's `model_external_initializers_file_folder_path`.
 */
export interface ExternalTensor {
  type: 'float32';
  dims: number[];
  external: { location: string; offset: number; length: number };
}

export interface ValueInfo {
  name: string;
  type: ElemType;
  /** Numbers are fixed sizes, strings are named dynamic dimensions; absent = shape not declared. */
  shape?: (number | string)[];
}

export interface GraphSpec {
  name: string;
  nodes: OnnxNode[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, ConstTensor | ExternalTensor>;
}

export function floatConst(values: number[] | Float32Array, dims: number[] = []): ConstTensor {
  return { type: 'float32', dims, data: values instanceof Float32Array ? values : Float32Array.from(values) };
}

export function int64Const(values: number[], dims: number[] = [values.length]): ConstTensor {
  return { type: 'int64', dims, data: BigInt64Array.from(values.map((v) => BigInt(v))) };
}

function encodeAttr(name: string, a: Attr): proto.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
  }
}

function encodeValueInfo(v: ValueInfo): proto.IValueInfoProto {
  const shape = v.shape && {
    dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
  };
  return { name: v.name, type: { tensorType: { elemType: ELEM_TYPE[v.type], shape } } };
}

function encodeTensor(name: string, t: ConstTensor | ExternalTensor): proto.ITensorProto {
  if ('external' in t) {
    const { location, offset, length } = t.external;
    return {
      name,
      dims: t.dims,
      dataType: ELEM_TYPE[t.type],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ],
    };
  }
  // raw_data is a view over the JS array: protobufjs copies it once, into the model bytes.
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name, dims: t.dims, dataType: ELEM_TYPE[t.type], rawData: raw };
}

/** Serialize a graph as a ModelProto, ready for `InferenceSession.create(bytes)`. */
export function encodeModel(spec: GraphSpec): Uint8Array {
  const graph: proto.IGraphProto = {
    name: spec.name,
    node: spec.nodes.map((n, i) => ({
      name: n.name ?? `${n.op}_${i}`,
      opType: n.op,
      domain: n.domain ?? '',
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attrs ?? {}).map(([k, a]) => encodeAttr(k, a)),
    })),
    input: spec.inputs.map(encodeValueInfo),
    output: spec.outputs.map(encodeValueInfo),
    initializer: [...spec.initializers].map(([name, t]) => encodeTensor(name, t)),
  };
  const model: proto.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'substack-lab',
    // Contrib ops (onnxruntime's com.microsoft domain) are at version 1.
    opsetImport: [{ domain: '', version: OPSET }, ...[...new Set(spec.nodes.map((n) => n.domain ?? ''))].filter((d) => d !== '').map((domain) => ({ domain, version: 1 }))],
    graph,
  };
  return onnx.ModelProto.encode(model).finish();
}
