/**
 * `scaledreamer-babylon/inspector`: the prompt inspector, a pane of Babylon's Inspector (v2) listing the generated
 * assets of an AssetLibrary (scaledreamer-babylon/persistence), and the prompt checks behind it. Importing it costs
 * little: @babylonjs/inspector and React load when the Inspector is first shown.
 */
export {
  createPromptInspectorServiceAsync,
  PROMPT_INSPECTOR_PANE_KEY,
  showPromptInspector,
  type PromptInspectorOptions,
  type PromptInspectorServiceDefinition,
} from './inspector-service.js';
export { downloadBlob, PromptInspectorPanel, type PromptInspectorPanelOptions } from './prompt-inspector-panel.js';
export { describeJobError, progressFraction, progressText } from './job-progress.js';
export { LossPlot } from './loss-plot.js';
export {
  checkPrompt,
  completeWord,
  editDistance,
  nearestWords,
  promptWords,
  vocabularyWords,
  type PromptCheck,
  type PromptVocabulary,
} from './prompt-words.js';
