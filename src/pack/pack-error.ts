/**
 * A model pack that does not follow its contract (docs/model-pack.md): the file at fault and what is wrong with it.
 * The message is `<file>: <reason>`.
 */
export class PackError extends Error {
  override readonly name = 'PackError';

  constructor(
    /** The file's path relative to the pack, as manifest.json lists it (`manifest.json` for the manifest itself). */
    readonly file: string,
    /** What is wrong, naming the field where one is at fault (`files["unet.onnx"].inputs.sample.shape[2] ...`). */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${reason}`, options);
  }
}
