/**
 * index.ts — `nt.layers`: a factory per layer (tfjs-layers names) plus the layer classes.
 */
import * as act from './activations';
import * as conv from './convolutional';
import * as core from './core';
import * as merge from './merge';
import * as norm from './normalization';
import * as pool from './pooling';
import * as shortcut from './shortcut';
import type { LayerArgs } from './layer';

export const dense = (args: core.DenseArgs): core.Dense => new core.Dense(args);
export const flatten = (args?: LayerArgs): core.Flatten => new core.Flatten(args);
export const reshape = (args: core.ReshapeArgs): core.Reshape => new core.Reshape(args);
export const permute = (args: core.PermuteArgs): core.Permute => new core.Permute(args);
export const dropout = (args: core.DropoutArgs): core.Dropout => new core.Dropout(args);
export const spatialDropout2d = (args: core.DropoutArgs): core.SpatialDropout2D => new core.SpatialDropout2D(args);
export const embedding = (args: core.EmbeddingArgs): core.Embedding => new core.Embedding(args);
export const conv1d = (args: conv.ConvArgs): conv.Conv1D => new conv.Conv1D(args);
export const conv2d = (args: conv.ConvArgs): conv.Conv2D => new conv.Conv2D(args);
export const conv2dTranspose = (args: conv.Conv2DTransposeArgs): conv.Conv2DTranspose => new conv.Conv2DTranspose(args);
export const zeroPadding2d = (args?: conv.ZeroPadding2DArgs): conv.ZeroPadding2D => new conv.ZeroPadding2D(args);
export const upSampling2d = (args?: conv.UpSampling2DArgs): conv.UpSampling2D => new conv.UpSampling2D(args);
export const maxPooling2d = (args?: pool.Pooling2DArgs): pool.MaxPooling2D => new pool.MaxPooling2D(args);
export const averagePooling2d = (args?: pool.Pooling2DArgs): pool.AveragePooling2D => new pool.AveragePooling2D(args);
export const globalAveragePooling2d = (args?: LayerArgs): pool.GlobalAveragePooling2D => new pool.GlobalAveragePooling2D(args);
export const globalMaxPooling2d = (args?: LayerArgs): pool.GlobalMaxPooling2D => new pool.GlobalMaxPooling2D(args);
export const batchNormalization = (args?: norm.BatchNormalizationArgs): norm.BatchNormalization => new norm.BatchNormalization(args);
export const layerNormalization = (args?: norm.LayerNormalizationArgs): norm.LayerNormalization => new norm.LayerNormalization(args);
export const activation = (args: act.ActivationArgs): act.Activation => new act.Activation(args);
export const relu = (args?: LayerArgs): act.ReLU => new act.ReLU(args);
export const leakyReLU = (args?: act.LeakyReLUArgs): act.LeakyReLU => new act.LeakyReLU(args);
export const elu = (args?: act.ELUArgs): act.ELU => new act.ELU(args);
export const gelu = (args?: act.GELUArgs): act.GELU => new act.GELU(args);
export const shortcutPadding2d = (args: shortcut.ShortcutPadding2DArgs): shortcut.ShortcutPadding2D => new shortcut.ShortcutPadding2D(args);
export const add = (args?: LayerArgs): merge.MergeLayer => new merge.Add(args);
export const subtract = (args?: LayerArgs): merge.MergeLayer => new merge.Subtract(args);
export const multiply = (args?: LayerArgs): merge.MergeLayer => new merge.Multiply(args);
export const average = (args?: LayerArgs): merge.MergeLayer => new merge.Average(args);
export const maximum = (args?: LayerArgs): merge.MergeLayer => new merge.Maximum(args);
export const minimum = (args?: LayerArgs): merge.MergeLayer => new merge.Minimum(args);
export const concatenate = (args?: merge.ConcatenateArgs): merge.Concatenate => new merge.Concatenate(args);
export const softmax = (args?: act.SoftmaxArgs): act.Softmax => new act.Softmax(args);

export { Layer, layerFromConfig } from './layer';
export type { LayerArgs, LayerConfig, ModuleSpec, Shape } from './layer';
export * from './core';
export * from './merge';
export * from './shortcut';
export { SymbolicTensor } from './symbolic';
export type { SymbolicSource } from './symbolic';
export * from './convolutional';
export * from './pooling';
export * from './normalization';
export * from './activations';
export { regularizers } from './initializers';
export type { Initializer, InitializerName, Regularizer } from './initializers';
