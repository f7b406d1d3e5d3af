// Attacks a model served over HTTP: a tiny node:http server on 127.0.0.1 answers POST /predict with the logits
// of builtin:mnist-cnn (ONNX Runtime), and Square Attack queries it through `queryModel` — the attacker only
// ever sees scores coming back over the socket. Run after `npm run build`:
//   node examples/attack-http.mjs [--images 20] [--queries 500] [--eps 0.3]
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { builtinModelsDir, loadOnnxModel, queryModel, setupBackend, tf, loadAll, openDataset, attackBatch, createVerifier } from '../dist/index.js';
import path from 'node:path';

/** Starts the server on a free port; returns its URL and a close function. */
export async function serveModel() {
  const model = await loadOnnxModel(path.join(builtinModelsDir(), 'mnist-cnn', 'model.onnx'), { forwardOnly: true, id: 'http-served' });
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/predict') {
      res.writeHead(404).end();
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      try {
        const body = Buffer.concat(chunks);
        const count = Number(req.headers['x-batch-size']);
        const values = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
        const x = tf.tensor(values, [count, 28, 28, 1]);
        const logits = await model.logits(x);
        x.dispose();
        const out = (await logits.data());
        logits.dispose();
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
      } catch (e) {
        res.writeHead(400).end(String(e));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/predict`,
    close: () => new Promise((resolve) => server.close(() => (model.dispose(), resolve()))),
  };
}

/** Wraps the endpoint as a score model: one POST per batch of queries. */
export function endpointModel(url) {
  return queryModel(
    async (batch, shape) => {
      const response = await fetch(url, { method: 'POST', body: batch, headers: { 'x-batch-size': String(shape[0]), 'content-type': 'application/octet-stream' } });
      if (!response.ok) throw new Error(`endpoint answered ${response.status}: ${await response.text()}`);
      return new Float32Array(await response.arrayBuffer());
    },
    { inputShape: [28, 28, 1], numClasses: 10, bounds: [0, 1], output: 'scores', id: url },
  );
}

/** Serves, attacks `images` test digits with Square at L∞ ε, and returns the summary. */
export async function attackOverHttp({ images = 20, queries = 500, epsilon = 0.3, seed = 0 } = {}) {
  await setupBackend();
  const server = await serveModel();
  const model = endpointModel(server.url);
  const verifier = await createVerifier(model);
  try {
    const data = await loadAll(await openDataset('mnist:test', { limit: images }));
    const x = tf.tensor(data.x, [data.count, ...data.sampleShape]);
    const result = await attackBatch({ model, attack: 'square', options: { queries }, x, labels: data.y, threat: { norm: 'linf', epsilon }, seed, verifier });
    result.xAdv.dispose();
    x.dispose();
    const successes = result.success.reduce((a, b) => a + b, 0);
    const perSample = Array.from(result.perSampleQueries ?? []).filter((_, i) => result.success[i] === 1).sort((a, b) => a - b);
    return {
      url: server.url,
      images: data.count,
      successes,
      queries: result.queries.forward,
      httpCalls: model.calls.calls,
      medianQueriesToSuccess: perSample.length ? perSample[Math.floor((perSample.length - 1) / 2)] : null,
    };
  } finally {
    verifier.dispose();
    await server.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const summary = await attackOverHttp({ images: arg('images', 20), queries: arg('queries', 500), epsilon: arg('eps', 0.3) });
  console.log(JSON.stringify(summary, null, 2));
}
