// A worker process built on the npm package step-function-worker (which uses
// aws-sdk v2), pointed at stepd through its awsConfig. Spawned by
// step-function-worker.test.mjs; prints one JSON line per worker event.
//   input {mode: "double", n}  -> {doubled: 2n, by: "step-function-worker"}
//   input {mode: "fail", n}    -> the callback gets Error("boom n")
//   input {mode: "slow", ms}   -> heartbeats every 500 ms, then {slept: ms}
import StepFunctionWorker from 'step-function-worker';

const report = (event, data) => process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);

const worker = new StepFunctionWorker({
  activityArn: process.env.ACTIVITY_ARN,
  workerName: 'sfw',
  concurrency: 2,
  awsConfig: {
    endpoint: process.env.SFN_ENDPOINT,
    region: 'us-east-1',
    // In the sigv4 suite the worker signs with the operator key (aws-sdk v2's
    // signer against stepd's verification).
    accessKeyId: process.env.WORKER_ACCESS_KEY_ID || process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.WORKER_SECRET_ACCESS_KEY || process.env.AWS_SECRET_ACCESS_KEY,
    maxRetries: 0,
  },
  logger: { debug() {}, info() {}, warn: console.error, error: console.error },
  fn(input, callback, heartbeat) {
    if (input.mode === 'double') {
      callback(null, { doubled: input.n * 2, by: 'step-function-worker' });
    } else if (input.mode === 'fail') {
      callback(new Error(`boom ${input.n}`));
    } else if (input.mode === 'slow') {
      const timer = setInterval(heartbeat, 500);
      setTimeout(() => {
        clearInterval(timer);
        callback(null, { slept: input.ms });
      }, input.ms);
    } else {
      callback(new Error(`unknown mode ${input.mode}`));
    }
  },
});

worker.on('ready', () => report('ready', {}));
worker.on('task', (t) => report('task', { input: t.input, workerName: t.workerName }));
worker.on('success', (s) => report('success', { input: s.input, output: s.output }));
worker.on('failure', (f) => report('failure', { input: f.input, error: String(f.error) }));
worker.on('heartbeat', (h) => report('heartbeat', { input: h.input }));
worker.on('error', (e) => report('error', { error: String(e?.err ?? e), code: e?.err?.code ?? e?.code }));
process.on('SIGTERM', () => process.exit(0));
