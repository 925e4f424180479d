// Test instrumentation: records the size of every GPUBuffer mapped for reading (a readback to the CPU), by our
// kernels or by onnxruntime, so that tests can tell which tensors crossed from the GPU to the CPU. Patching
// GPUBuffer.prototype is for tests only.

/** The message that asks a worker from {@link createReadbackSpyGenerationWorker} for its readback sizes. */
const READBACKS_REQUEST = 'test:readbackSizes';

/**
 * Patches `GPUBuffer.prototype.mapAsync` in this context; returns the list it appends each READ mapping's byte size
 * to. With `requestType`, also answers that message (on the port it carries) with the list. Stringified into
 * workers, so it must be self-contained.
 */
export function installReadbackSpy(requestType: string | null): number[] {
  const sizes: number[] = [];
  const mapAsync = GPUBuffer.prototype.mapAsync;
  GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, mode: number, offset?: number, size?: number) {
    if (mode & GPUMapMode.READ) sizes.push(size ?? this.size - (offset ?? 0));
    return mapAsync.call(this, mode, offset, size);
  };
  if (requestType !== null) {
    // Comlink ignores messages of types it does not know.
    self.addEventListener('message', (event: MessageEvent) => {
      if ((event.data as { type?: string } | null)?.type !== requestType) return;
      event.ports[0]?.postMessage(sizes.slice());
    });
  }
  return sizes;
}

/** A generation worker (dist/generation.worker.js) with the spy installed before its own module runs. */
export function createReadbackSpyGenerationWorker(): Worker {
  const script = (source: string) => URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const patch = script(`(${installReadbackSpy.toString()})(${JSON.stringify(READBACKS_REQUEST)});`);
  const workerUrl = new URL('./generation.worker.js', import.meta.url).href;
  const entry = script(`import ${JSON.stringify(patch)};\nimport ${JSON.stringify(workerUrl)};\n`);
  return new Worker(entry, { type: 'module', name: 'scaledreamer-generation (readback spy)' });
}

/** The byte sizes of the READ mappings made so far in a worker from {@link createReadbackSpyGenerationWorker}. */
export function workerReadbackSizes(worker: Worker): Promise<number[]> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port1.onmessage = ({ data }: MessageEvent<number[]>) => {
      port1.close();
      resolve(data);
    };
    worker.postMessage({ type: READBACKS_REQUEST }, [port2]);
  });
}
