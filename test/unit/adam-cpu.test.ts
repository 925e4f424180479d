import { describe, expect, test } from 'vitest';
import { CpuAdam } from '../../src/kernels/adam-cpu.js';
import { adamStepScalars, resolveAdamOptions } from '../../src/kernels/adam-options.js';

describe('CpuAdam', () => {
  test('matches torch.optim.Adam over three steps', () => {
    // Expected values printed by torch 1.13: Adam([p], lr=0.1, betas=(0.8, 0.99), eps=1e-6, foreach=False), same grads.
    const adam = new CpuAdam(Float32Array.of(0.5, -1.25, 2, 0), new Float32Array(4), {
      learningRate: 0.1,
      beta1: 0.8,
      beta2: 0.99,
      epsilon: 1e-6,
    });
    for (const grads of [
      [1, -2, 0.5, 0],
      [-0.5, -1, 0.25, 3],
      [2, 0.1, -0.5, -3],
    ]) {
      adam.grads.set(grads);
      adam.step();
    }
    expect(adam.stepCount).toBe(3);
    const close = (actual: Float32Array, expected: number[]): void =>
      expected.forEach((value, i) => expect(actual[i]).toBeCloseTo(value, 6));
    close(adam.params, [0.30968859791755676, -0.9954610466957092, 1.8066147565841675, -0.06835692375898361]);
    close(adam.expAvg, [0.4480000138282776, -0.3960000276565552, 0.0040000081062316895, -0.11999998986721039]);
    close(adam.expAvgSq, [0.05227600038051605, 0.04920399934053421, 0.005568999797105789, 0.17909999191761017]);
  });

  test('rejects gradients of another length', () => {
    expect(() => new CpuAdam(new Float32Array(3), new Float32Array(4))).toThrow(RangeError);
  });
});

describe('Adam options', () => {
  test('default to PyTorch defaults', () => {
    expect(resolveAdamOptions()).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
  });

  test.each([
    [{ learningRate: 0 }, /learningRate/],
    [{ beta1: 1 }, /beta1/],
    [{ beta2: -0.1 }, /beta2/],
    [{ epsilon: Number.NaN }, /epsilon/],
  ])('reject %o naming the option', (options, name) => {
    expect(() => resolveAdamOptions(options)).toThrow(RangeError);
    expect(() => resolveAdamOptions(options)).toThrow(name);
  });

  test('step scalars are the bias corrections of step t', () => {
    const options = resolveAdamOptions({ learningRate: 0.1, beta1: 0.8, beta2: 0.99 });
    const { stepSize, biasCorrection2Sqrt } = adamStepScalars(options, 2);
    expect(stepSize).toBeCloseTo(0.1 / (1 - 0.8 ** 2), 12);
    expect(biasCorrection2Sqrt).toBeCloseTo(Math.sqrt(1 - 0.99 ** 2), 12);
    expect(() => adamStepScalars(options, 0)).toThrow(/step/);
  });
});
