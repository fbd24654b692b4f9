/**
 * index.ts — `nt.builders`: ready-made model families (ResNet; DCGAN in dcgan.ts).
 */
export { resnet, resnet18, resnet34, resnet50, resnet101 } from './resnet';
export type { CifarResNetArgs, ImageNetResNetArgs } from './resnet';
