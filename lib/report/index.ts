/**
 * index.ts — `nt.report`: self-contained HTML reports of training runs (SVG curves, images,
 * tables) and classifier confusion matrices.
 */
export { writeReport, renderReport } from './report';
export type { Report, ReportSection } from './report';
export { lineChart } from './chart';
export type { Series } from './chart';
export { confusionMatrix, confusionPng } from './confusion';
