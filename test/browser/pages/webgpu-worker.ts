// Runs the Adam kernel and ONNX models (float32; int64 and int32 in and out) in the compute worker (from dist/), and
// the CPU twin here, for webgpu-worker.test.ts to compare.
import { ComputeWorker, CpuAdam, type AdamOptions } from 'scaledreamer-babylon';
import {
  ADD_MODEL_INPUT,
  ADD_MODEL_OUTPUT,
  addModel,
  MIXED_MODEL,
  mixedTypeModel,
} from '../../fixtures/add-model.js';
import { reportResult } from './page-result.js';

/** Not a multiple of the workgroup size, so the kernel's bounds check is exercised. */
const COUNT = 1000;
const STEPS = 5;
const OPTIONS: AdamOptions = { learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 };

/** Deterministic values in [-1, 1) (a 32-bit LCG), so failures reproduce. */
function pseudoRandom(length: number, seed: number): Float32Array<ArrayBuffer> {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32) * 2 - 1;
  });
}

reportResult(
  (async () => {
    const initial = pseudoRandom(COUNT, 1);
    const gradients = Array.from({ length: STEPS }, (_, step) => pseudoRandom(COUNT, step + 2));

    const cpu = new CpuAdam(initial.slice(), new Float32Array(COUNT), OPTIONS);
    for (const gradient of gradients) {
      cpu.grads.set(gradient);
      cpu.step();
    }

    const worker = ComputeWorker.spawn();
    try {
      const adapter = await worker.adapterInfo();
      const gpu = await worker.adam(initial.slice(), gradients.map((g) => g.slice()), OPTIONS);
      const input = Float32Array.of(1, 2, 3, 4);
      const outputs = await worker.runModel(addModel(), { [ADD_MODEL_INPUT]: { dims: [input.length], data: input } });

      // int64 and int32 inputs viewing one buffer, which is transferred once.
      const shared = new ArrayBuffer(3 * 8 + 3 * 4);
      const ids = new BigInt64Array(shared, 0, 3);
      ids.set([1n, 2n, 2n ** 40n]);
      const offsets = new Int32Array(shared, 24, 3);
      offsets.set([10, -20, 0]);
      const mixed = await worker.runModel(mixedTypeModel(), {
        [MIXED_MODEL.ids]: { dims: [3], data: ids },
        [MIXED_MODEL.offsets]: { dims: [3], data: offsets },
      });
      const describe = (name: string) => {
        const data = mixed[name]?.data;
        const values: (number | bigint)[] = data ? [...data] : [];
        return { type: data?.constructor.name, values: values.map(String) };
      };
      // Bad dims fail before anything is transferred.
      const kept = Float32Array.of(1, 2, 3);
      let badDims = '';
      try {
        await worker.runModel(addModel(), { [ADD_MODEL_INPUT]: { dims: [2], data: kept } });
      } catch (error) {
        badDims = `${(error as Error).name}: ${(error as Error).message}`;
      }
      return {
        adapter,
        initial: Array.from(initial),
        cpu: Array.from(cpu.params),
        gpu: Array.from(gpu),
        model: [...(outputs[ADD_MODEL_OUTPUT]?.data ?? [])].map(Number),
        mixed: {
          sum: describe(MIXED_MODEL.sum),
          doubledIds: describe(MIXED_MODEL.doubledIds),
          doubledOffsets: describe(MIXED_MODEL.doubledOffsets),
        },
        inputsDetached: shared.byteLength === 0,
        badDims,
        keptAfterBadDims: kept.length,
      };
    } finally {
      worker.dispose();
    }
  })(),
);
