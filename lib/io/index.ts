/**
 * index.ts — `nt.io`: reading and writing tensors in the safetensors format, and images as PNG.
 * Whole models are saved with `model.save(dir)` and loaded with `nt.loadModel(dir)`.
 */
export { encodePng, imageGridPng } from './png';
export type { RawImage, GridOptions } from './png';
export { saveSafetensors, saveSafetensorsSync, loadSafetensors, loadSafetensorsSync } from './safetensors';
export type { NamedTensors, SafetensorsMetadata, SafetensorsContent, LoadSafetensorsOptions } from './safetensors';
export { loadModel } from './load_model';
export type { LoadModelOptions } from './load_model';
export type { ModelJson } from './save_model';
export type { LoadWeightsOptions, WeightsReport } from './weights';
