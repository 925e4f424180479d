import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { decoderLayout } from '../../src/kernels/triplane-layout.js';
import { loadModelPack, type LoadModelPackOptions } from '../../src/pack/model-pack.js';
import { PackError } from '../../src/pack/pack-error.js';
import { DEFAULT_PACK_URL, readPackFile, ScratchPack, sha256Hex, type ManifestJson } from '../fixtures/pack-files.js';

const options: LoadModelPackOptions = { read: readPackFile };

/** The PackError that loading `url` throws. */
async function packError(url: URL, extra: LoadModelPackOptions = {}): Promise<PackError> {
  const error = await loadModelPack(url, { ...options, ...extra }).then(
    () => new Error('the pack loaded'),
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(PackError);
  return error as PackError;
}

describe('loadModelPack on models/default', () => {
  test('loads and exposes the prior and the generator', async () => {
    const pack = await loadModelPack(DEFAULT_PACK_URL, options);
    const { prior, generator } = pack;
    expect(pack.name).toBe('default');
    expect(generator?.decoder.shape).toEqual({ channels: 16, resolution: 64, hidden: 32 });
    expect(generator?.decoder.weights).toHaveLength(16 * 32 + 32 + 32 * 32 + 32 + 4 * 32 + 4);
    expect(generator?.model.byteLength).toBeGreaterThan(1e6);
    expect(prior.predictionType).toBe('epsilon');
    const manifest = JSON.parse(readFileSync(new URL('manifest.json', DEFAULT_PACK_URL), 'utf8')) as ManifestJson;
    expect(prior.textEncoder.byteLength).toBe(manifest.files['text_encoder.onnx']!.bytes);
    expect(prior.unet.byteLength).toBe(manifest.files['unet.onnx']!.bytes);
    expect(prior.unet.byteLength).toBeGreaterThan(1e6);
    expect(prior.schedule.numTrainTimesteps).toBe(1000);
    expect(prior.schedule.alphasCumprod).toHaveLength(1000);
    expect(prior.schedule.alphasCumprod[0]).toBeCloseTo(1 - prior.schedule.betas[0]!, 15);
    expect(prior.tokenizer.maxLength).toBe(prior.text.maxLength);
    expect(prior.tokenizer.encode(prior.text.unconditionalPrompt).ids.slice(0, 3)).toEqual([2, 3, 0]);
    expect(pack.file('golden/prior.json').byteLength).toBe(1192);
    expect(() => pack.file('nope.bin')).toThrow(RangeError);
  });

  test("testFiles: 'skip' reads no test file", async () => {
    const read: typeof readPackFile = async (url) => {
      if (url.pathname.includes('golden') || url.pathname.endsWith('tokenizer_vectors.json')) throw new Error('read');
      return readPackFile(url);
    };
    const pack = await loadModelPack(DEFAULT_PACK_URL, { read, testFiles: 'skip' });
    expect(() => pack.file('golden/prior.json')).toThrow(/skipped/);
    expect(pack.file('vocab.json').byteLength).toBe(1340);
  });

  test('release drops the bytes; later uses throw', async () => {
    const pack = await loadModelPack(DEFAULT_PACK_URL, options);
    pack.release();
    pack.release();
    expect(() => pack.prior).toThrow(/released/);
    expect(() => pack.file('vocab.json')).toThrow(/released/);
  });

  test('bad arguments fail up front, naming them', async () => {
    await expect(loadModelPack(42 as never)).rejects.toThrow(/base/);
    await expect(loadModelPack('models/default')).rejects.toThrow(/base must be an absolute URL/);
    await expect(loadModelPack(DEFAULT_PACK_URL)).rejects.toThrow(/options.read is required/);
    await expect(loadModelPack(DEFAULT_PACK_URL, { read: 'fs' as never })).rejects.toThrow(/options.read/);
    await expect(loadModelPack(DEFAULT_PACK_URL, { ...options, testFiles: 'no' as never })).rejects.toThrow(
      /options.testFiles/,
    );
  });

  test('a base without the final slash is the same folder', async () => {
    const url = new URL(DEFAULT_PACK_URL.href.replace(/\/$/, ''));
    expect((await loadModelPack(url, options)).url.href).toBe(DEFAULT_PACK_URL.href);
  });
});

describe('loadModelPack refuses a damaged pack, naming the file and the problem', () => {
  let pack: ScratchPack;
  beforeEach(async () => {
    pack = await ScratchPack.create();
  });
  afterEach(async () => {
    await pack.dispose();
  });

  test('one byte flipped in unet.onnx: sha256 mismatch with both hashes', async () => {
    const bytes = await pack.bytes('unet.onnx');
    const expected = await sha256Hex(bytes as Uint8Array<ArrayBuffer>);
    bytes[bytes.length >> 1]! ^= 0x01;
    await pack.write('unet.onnx', bytes);
    const error = await packError(pack.url);
    expect(error.file).toBe('unet.onnx');
    expect(error.reason).toMatch(/sha256/);
    expect(error.message).toContain(expected);
    expect(error.message).toContain(await sha256Hex(bytes as Uint8Array<ArrayBuffer>));
  });

  test('a truncated file: wrong size', async () => {
    await pack.write('text_encoder.onnx', (await pack.bytes('text_encoder.onnx')).subarray(1));
    const error = await packError(pack.url);
    expect(error.file).toBe('text_encoder.onnx');
    expect(error.reason).toMatch(/2479732 bytes; manifest.json says 2479733/);
  });

  test('a missing vocab.json', async () => {
    await rm(pack.path('vocab.json'));
    const error = await packError(pack.url);
    expect(error.file).toBe('vocab.json');
    expect(error.reason).toMatch(/listed in manifest.json but missing/);
  });

  test('a missing test file, unless test files are skipped', async () => {
    await rm(pack.path('golden/prior.noise.bin'));
    expect((await packError(pack.url)).file).toBe('golden/prior.noise.bin');
    await expect(loadModelPack(pack.url, { ...options, testFiles: 'skip' })).resolves.toBeDefined();
  });

  test('a missing manifest.json', async () => {
    await rm(pack.path('manifest.json'));
    const error = await packError(pack.url);
    expect(error.file).toBe('manifest.json');
    expect(error.reason).toMatch(/missing/);
  });

  test('a reader that fails: the file, with the cause', async () => {
    const cause = new Error('EACCES');
    const read: typeof readPackFile = async (url) => {
      if (url.pathname.endsWith('schedule.json')) throw cause;
      return readPackFile(url);
    };
    const error = await packError(pack.url, { read });
    expect(error.file).toBe('schedule.json');
    expect(error.reason).toMatch(/could not be read.*EACCES/);
    expect(error.cause).toBe(cause);
  });

  test('a manifest shape that disagrees with the contract: the field', async () => {
    let resolution = 0;
    await pack.editManifest((manifest) => {
      resolution = manifest.prior.resolution;
      manifest.files['unet.onnx']!.inputs.sample.shape[2] = resolution / 2;
    });
    const error = await packError(pack.url);
    expect(error.file).toBe('manifest.json');
    expect(error.reason).toBe(
      `files["unet.onnx"].inputs.sample.shape[2] is ${resolution / 2}; the contract says ${resolution} (prior.resolution)`,
    );
  });

  const te = (m: ManifestJson) => m.files['text_encoder.onnx']!;
  const unet = (m: ManifestJson) => m.files['unet.onnx']!;
  const manifestCases: [string, (manifest: ManifestJson) => unknown, RegExp][] = [
    [
      'a fixed batch dimension',
      (m) => (te(m).inputs.input_ids.shape[0] = 3),
      /input_ids.shape\[0\] is 3; the batch dimension must be symbolic/,
    ],
    [
      'a wrong dtype',
      (m) => (te(m).inputs.input_ids.dtype = 'int32'),
      /input_ids.dtype is "int32"; the contract says "int64"/,
    ],
    [
      'a renamed output',
      (m) => (unet(m).outputs = { eps: unet(m).outputs.noise }),
      /files\["unet.onnx"\].outputs has no "noise"/,
    ],
    [
      'an extra input',
      (m) => (unet(m).inputs.mask = { dtype: 'float32', shape: ['batch'] }),
      /"mask", which is not one of the prior.unet inputs/,
    ],
    [
      'a hidden width that disagrees',
      (m) => (m.prior.text.hidden_dim = 64),
      /hidden.shape\[2\] is 128; the contract says 64 \(prior.text.hidden_dim\)/,
    ],
    ['a missing required role', (m) => delete m.files['schedule.json'], /no file of role "prior.schedule"/],
    [
      'a role claimed twice',
      (m) => (m.files['vocab.json']!.role = 'prior.schedule'),
      /files\["vocab.json"\].role is "prior.schedule", which files\["schedule.json"\] has too/,
    ],
    [
      'a prediction type other than epsilon',
      (m) => (m.prior.prediction_type = 'v_prediction'),
      /prior.prediction_type must be "epsilon", got "v_prediction"/,
    ],
    ['an unknown format', (m) => (m.format = 'diffusers'), /^format must be "scaledreamer-model-pack"/],
    [
      'a bad sha256 field',
      (m) => (m.files['vocab.json']!.sha256 = 'abc'),
      /files\["vocab.json"\].sha256 must be 64 lower-case hex digits/,
    ],
    [
      'a path outside the pack',
      (m) => (m.files['../secret.json'] = m.files['vocab.json']!),
      /files\["..\/secret.json"\] is not a plain relative path/,
    ],
    [
      'a raw tensor whose bytes do not fit its shape',
      (m) => (m.files['golden/prior.camera.bin']!.shape = [3, 5]),
      /prior.camera.bin"\].bytes is 48, but a float32 tensor of shape \[3, 5\] has 60/,
    ],
  ];
  test.each(manifestCases)('%s', async (_name, edit, reason) => {
    await pack.editManifest(edit);
    const error = await packError(pack.url);
    expect(error.file).toBe('manifest.json');
    expect(error.reason).toMatch(reason);
  });

  test('an unsupported format_version', async () => {
    await pack.editManifest((manifest) => {
      manifest.format_version = 2;
    });
    const error = await packError(pack.url);
    expect(error.file).toBe('manifest.json');
    expect(error.reason).toBe('format_version 2 is not supported (this loader reads 1)');
  });

  test('a vocab.json whose max_length disagrees with the manifest', async () => {
    const vocab = JSON.parse(new TextDecoder().decode(await pack.bytes('vocab.json')));
    vocab.max_length = 32;
    await pack.writeListed('vocab.json', JSON.stringify(vocab));
    const error = await packError(pack.url);
    expect(error.file).toBe('vocab.json');
    expect(error.reason).toBe('max_length is 32, but manifest.json prior.text.max_length is 24');
  });

  test('a vocab.json with a repeated word', async () => {
    const vocab = JSON.parse(new TextDecoder().decode(await pack.bytes('vocab.json')));
    vocab.vocab.push('a');
    await pack.writeListed('vocab.json', JSON.stringify(vocab));
    const error = await packError(pack.url);
    expect(error.file).toBe('vocab.json');
    expect(error.reason).toMatch(/^vocab\[96\] repeats "a"/);
  });

  test('a schedule.json that disagrees with the manifest, or with itself', async () => {
    const schedule = JSON.parse(new TextDecoder().decode(await pack.bytes('schedule.json')));
    await pack.writeListed('schedule.json', JSON.stringify({ ...schedule, num_train_timesteps: 500 }));
    expect((await packError(pack.url)).reason).toBe(
      'num_train_timesteps is 500, but manifest.json prior.num_train_timesteps is 1000',
    );
    const alphas = [...schedule.alphas_cumprod];
    alphas[10] *= 1.001;
    await pack.writeListed('schedule.json', JSON.stringify({ ...schedule, alphas_cumprod: alphas }));
    expect((await packError(pack.url)).reason).toMatch(
      /^alphas_cumprod\[10\] is .*, but the product of \(1 - betas\) up to 10 is/,
    );
  });

  test('a file of a role this loader does not know is verified, not interpreted', async () => {
    await pack.writeListed('notes.json', '{"trained on": "Asset World"}', { role: 'prior.notes', format: 'json' });
    expect((await loadModelPack(pack.url, options)).file('notes.json').byteLength).toBe(29);
    await pack.write('notes.json', '{"trained on": "Asset world"}');
    expect((await packError(pack.url)).reason).toMatch(/^sha256 mismatch/);
  });

  test('a JSON file that is not JSON', async () => {
    await pack.writeListed('golden/prior.json', '{"format": ');
    const error = await packError(pack.url);
    expect(error.file).toBe('golden/prior.json');
    expect(error.reason).toMatch(/is not valid JSON/);
  });
});

describe('the optional generator files', () => {
  const C = 4;
  const H = 8;
  const R = 16;
  let pack: ScratchPack;
  beforeEach(async () => {
    pack = await ScratchPack.create();
  });
  afterEach(async () => {
    await pack.dispose();
  });

  /** Adds decoder.json, decoder.bin (values 0, 1, 2 ...) and a stand-in generator.onnx to the scratch pack. */
  async function addGenerator(editDecoder: (json: Record<string, unknown>) => void = () => {}): Promise<void> {
    const layout = decoderLayout({ channels: C, hidden: H });
    const tensors = {
      'fc1.weight': { offset: layout.fc1Weight * 4, shape: [H, C] },
      'fc1.bias': { offset: layout.fc1Bias * 4, shape: [H] },
      'fc2.weight': { offset: layout.fc2Weight * 4, shape: [H, H] },
      'fc2.bias': { offset: layout.fc2Bias * 4, shape: [H] },
      'out.weight': { offset: layout.outWeight * 4, shape: [4, H] },
      'out.bias': { offset: layout.outBias * 4, shape: [4] },
    };
    const decoder: Record<string, unknown> = {
      format: 'scaledreamer-triplane-decoder',
      version: 1,
      channels: C,
      hidden: H,
      activation: 'silu',
      sphere_radius: 0.5,
      dtype: 'float32',
      byte_order: 'little',
      tensors,
      renderer: { samples: 48, beta: 0.03 },
    };
    editDecoder(decoder);
    await pack.writeListed('decoder.json', JSON.stringify(decoder), { role: 'generator.decoder', format: 'json' });
    const weights = Float32Array.from({ length: layout.length }, (_, i) => i);
    await pack.writeListed('decoder.bin', new Uint8Array(weights.buffer), {
      role: 'generator.decoder_weights',
      format: 'raw',
      dtype: 'float32',
      shape: [layout.length],
    });
    // Not a real graph: the loader does not open ONNX files; it checks their bytes and manifest entries.
    await pack.writeListed('generator.onnx', 'a stand-in for the generator graph', {
      role: 'generator.triplane',
      format: 'onnx',
      opset: 17,
      weights_dtype: 'float32',
      inputs: { text_states: { dtype: 'float32', shape: ['batch', 24, 128] } },
      outputs: { triplane: { dtype: 'float32', shape: ['batch', 3, C, R, R] } },
    });
  }

  test('are loaded when present: weights in decoder.bin order, shape from decoder.json and the graph', async () => {
    await addGenerator();
    const { generator } = await loadModelPack(pack.url, options);
    expect(generator?.decoder.shape).toEqual({ channels: C, hidden: H, resolution: R });
    expect(generator?.decoder.renderer).toEqual({ samples: 48, beta: 0.03 });
    expect(generator?.decoder.weights.length).toBe(decoderLayout({ channels: C, hidden: H }).length);
    expect(generator?.decoder.weights[5]).toBe(5);
    expect(generator?.model.byteLength).toBeGreaterThan(0);
  });

  test('are all required once one is present', async () => {
    await addGenerator();
    await pack.editManifest((manifest) => delete manifest.files['decoder.json']);
    expect((await packError(pack.url)).reason).toMatch(/has a generator .* but no file of role "generator.decoder"/);
  });

  test('channels in decoder.json must match the generator output', async () => {
    await addGenerator();
    await pack.editManifest((manifest) => (manifest.files['generator.onnx']!.outputs.triplane.shape[2] = 5));
    const error = await packError(pack.url);
    expect(error.file).toBe('manifest.json');
    expect(error.reason).toBe('files["generator.onnx"].outputs.triplane.shape[2] is 5; decoder.json has channels 4');
  });

  test('decoder.json tensors that do not fit its C and H', async () => {
    await addGenerator((json) => {
      json.channels = 5;
    });
    const error = await packError(pack.url);
    expect(error.file).toBe('decoder.json');
    expect(error.reason).toBe('tensors["fc1.weight"].shape is [8, 4]; expected [8, 5]');
  });

  test('a decoder the kernels do not implement', async () => {
    await addGenerator((json) => {
      json.sphere_radius = 0.6;
    });
    expect((await packError(pack.url)).reason).toBe('sphere_radius must be 0.5, got 0.6');
  });
});
