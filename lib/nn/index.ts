/**
 * index.ts — `nt.nn`: neural-network building blocks; `nn.functional` (alias `nn.F`) holds the
 * stateless ops (convolutions, pooling, normalization, activations, losses).
 */
export * as functional from './functional';
export * as F from './functional';
