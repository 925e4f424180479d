// Test instrumentation for the generation worker, installed before its own module runs:
// - counts every GPUBuffer created and destroyed in it (onnxruntime's included) into the worker's resource-count
//   table (src/workers/resource-counters.ts), which the plugin reports through getResourceCountsAsync();
// - keeps every WebAssembly.Memory made in it (onnxruntime's heap) and answers `wasmMemoryBytes` requests with their
//   total size: a native leak inside onnxruntime grows it, and the JS heap figures leave it out.
// Patching GPUDevice, GPUBuffer and WebAssembly.Memory is for tests only; the library counts what it creates itself.
import { RESOURCE_COUNTS_KEY } from 'scaledreamer-babylon';

/** The message that asks an instrumented worker for its WebAssembly memory; the answer comes on the given port. */
const WASM_MEMORY_REQUEST = 'test:wasmMemoryBytes';

/** Runs inside the worker; stringified, so it must be self-contained. */
function instrument(countsKey: string, wasmMemoryRequest: string): void {
  const holder = globalThis as unknown as Record<symbol, Record<string, { created: number; released: number }>>;
  const table = (holder[Symbol.for(countsKey)] ??= {});
  const count = (table['gpuBuffer'] ??= { created: 0, released: 0 });
  if (typeof GPUDevice !== 'undefined') {
    const destroyed = new WeakSet<GPUBuffer>();
    const create = GPUDevice.prototype.createBuffer;
    GPUDevice.prototype.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
      count.created++;
      return create.call(this, descriptor);
    };
    const destroy = GPUBuffer.prototype.destroy;
    GPUBuffer.prototype.destroy = function (this: GPUBuffer) {
      if (!destroyed.has(this)) {
        destroyed.add(this);
        count.released++;
      }
      return destroy.call(this);
    };
  }

  const memories: WebAssembly.Memory[] = [];
  WebAssembly.Memory = new Proxy(WebAssembly.Memory, {
    construct(target, args: [WebAssembly.MemoryDescriptor]) {
      const memory = Reflect.construct(target, args) as WebAssembly.Memory;
      memories.push(memory);
      return memory;
    },
  });
  // Comlink ignores messages of types it does not know.
  self.addEventListener('message', (event: MessageEvent) => {
    if ((event.data as { type?: string } | null)?.type !== wasmMemoryRequest) return;
    event.ports[0]?.postMessage(memories.reduce((sum, memory) => sum + memory.buffer.byteLength, 0));
  });
}

/**
 * A module worker that installs the instrumentation, then runs dist/generation.worker.js (module imports evaluate in
 * order, so the generation worker's message handler is in place before any message arrives).
 */
export function createCountingGenerationWorker(): Worker {
  const script = (source: string) => URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const args = [RESOURCE_COUNTS_KEY, WASM_MEMORY_REQUEST].map((arg) => JSON.stringify(arg)).join(', ');
  const patch = script(`(${instrument.toString()})(${args});`);
  const workerUrl = new URL('./generation.worker.js', import.meta.url).href;
  const entry = script(`import ${JSON.stringify(patch)};\nimport ${JSON.stringify(workerUrl)};\n`);
  return new Worker(entry, { type: 'module', name: 'scaledreamer-generation (instrumented)' });
}

/** Total bytes of the WebAssembly memories made in a worker from {@link createCountingGenerationWorker}. */
export function wasmMemoryBytes(worker: Worker): Promise<number> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port1.onmessage = ({ data }: MessageEvent<number>) => {
      port1.close();
      resolve(data);
    };
    worker.postMessage({ type: WASM_MEMORY_REQUEST }, [port2]);
  });
}
