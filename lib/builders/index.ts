/**
 * index.ts — `nt.builders`: ready-made model families (a reference CNN, ResNet, DCGAN).
 */
export { cnn } from './cnn';
export type { CnnArgs } from './cnn';
export { dcgan } from './dcgan';
export type { Dcgan, DcganArgs } from './dcgan';
export { resnet, resnet18, resnet34, resnet50, resnet101 } from './resnet';
export type { CifarResNetArgs, ImageNetResNetArgs } from './resnet';
