/**
 * serve.ts — `nodetorch serve <model>...`: serves saved models (directories of `model.save` /
 * `nodetorch train`, TorchScript .pt files) over the Open Inference Protocol with dynamic batching
 * (nt.serving.serve). SIGTERM/SIGINT drain: readiness turns false, in-flight requests finish, exit 0.
 */
import * as fs from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import type { ModelSource } from '../../serving/served_model';
import { nonNegativeInt, positiveInt } from '../parse';

interface ServeFlags {
  port: number;
  host: string;
  device: string;
  instances: number;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueSize: number;
  timeoutMs?: number;
  apiKeyFile?: string;
  bodyLimit?: number;
  inputShape?: number[];
  inputDatatype: string;
  drainTimeoutMs: number;
  quiet?: boolean;
}

function shapeList(value: string): number[] {
  const dims = value.split(',').map(Number);
  if (!dims.every((d) => Number.isInteger(d) && d > 0)) throw new InvalidArgumentError('expected positive integers separated by commas (e.g. 3,32,32)');
  return dims;
}

/** `name=path` or `path`; a .pt file takes --input-shape when no <file>.json declares its inputs. */
function modelSource(arg: string, flags: ServeFlags): ModelSource {
  const eq = arg.indexOf('=');
  const named = eq > 0 && !fs.existsSync(arg);
  const src: ModelSource = named ? { name: arg.slice(0, eq), path: arg.slice(eq + 1) } : { path: arg };
  const file = src.path as string;
  if (flags.inputShape !== undefined && fs.existsSync(file) && fs.statSync(file).isFile() && !fs.existsSync(`${file}.json`)) {
    src.inputs = [{ name: 'input', shape: flags.inputShape, datatype: flags.inputDatatype }];
  }
  return src;
}

/**
 * The access log: lines gathered and written once per turn of the event loop (a write to a pipe
 * is synchronous, and under load thousands of lines a second would each cost one).
 */
function accessLog(): (line: string) => void {
  let pending = '';
  const flush = (): void => {
    process.stdout.write(pending);
    pending = '';
  };
  return (line) => {
    if (pending === '') setImmediate(flush);
    pending += `${line}\n`;
  };
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve models over the Open Inference Protocol (KServe v2 REST) with dynamic batching')
    .argument('<models...>', "model or run directories, or TorchScript .pt files; 'name=path' names one")
    .option('--port <n>', 'port (0: a free one)', nonNegativeInt, 8000)
    .option('--host <address>', "address to bind ('0.0.0.0' exposes the server to the network)", '127.0.0.1')
    .option('--device <device>', 'cpu, cuda or cuda:N', 'cpu')
    .option('--instances <n>', 'copies of each model, so that n batches run at once', positiveInt, 1)
    .option('--max-batch-size <n>', 'most samples in one forward', positiveInt, 32)
    .option('--max-queue-delay-ms <ms>', 'how long the oldest request may wait for a batch to fill (0: never wait)', nonNegativeInt, 0)
    .option('--max-queue-size <n>', 'most requests waiting per model; more get 503 at once', positiveInt, 256)
    .option('--timeout-ms <ms>', 'a request still queued after this long gets 503 and never runs', positiveInt)
    .option('--api-key-file <file>', 'require Authorization: Bearer <the key in this file> on every route but liveness')
    .option('--body-limit <bytes>', 'largest request body (default 32 MiB); larger gets 413', positiveInt)
    .option('--input-shape <dims>', 'sample shape of a TorchScript model without a <file>.json schema (e.g. 3,32,32)', shapeList)
    .option('--input-datatype <type>', 'datatype of that input (FP32, INT64, ...)', 'FP32')
    .option('--drain-timeout-ms <ms>', 'on SIGTERM/SIGINT, how long in-flight requests may take to finish', positiveInt, 30000)
    .option('--quiet', 'no access log')
    .action(async (args: string[], flags: ServeFlags) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { serve } = require('../../serving') as typeof import('../../serving');
      let apiKey: string | undefined;
      if (flags.apiKeyFile !== undefined) {
        try {
          apiKey = fs.readFileSync(flags.apiKeyFile, 'utf8').trim();
        } catch (err) {
          throw new Error(`cannot read --api-key-file ${flags.apiKeyFile}: ${(err as Error).message}`);
        }
        if (apiKey.length === 0) throw new Error(`--api-key-file ${flags.apiKeyFile} is empty`);
      }
      const server = await serve({
        models: args.map((a) => modelSource(a, flags)),
        port: flags.port,
        host: flags.host,
        device: flags.device as 'cpu',
        instances: flags.instances,
        maxBatchSize: flags.maxBatchSize,
        maxQueueDelayMs: flags.maxQueueDelayMs,
        maxQueueSize: flags.maxQueueSize,
        timeoutMs: flags.timeoutMs,
        apiKey,
        bodyLimit: flags.bodyLimit,
        drainTimeoutMs: flags.drainTimeoutMs,
        log: flags.quiet ? undefined : accessLog(),
      });
      console.log(`nodetorch serve: listening on ${server.url}, loading ${args.length} model(s)`);
      const stop = new Promise<string>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      try {
        await Promise.race([server.loaded, stop]);
      } catch (err) {
        await server.close().catch(() => undefined);
        throw err;
      }
      if (server.isReady()) console.log(`nodetorch serve: ready: ${server.url}/v2/models/<name>/infer`);
      const signal = await stop;
      console.log(`nodetorch serve: ${signal}: draining (new requests get 503, in-flight ones finish)`);
      process.once('SIGINT', () => process.exit(130));
      await server.close();
      console.log('nodetorch serve: stopped');
    });
}
