import json, struct, numpy as np
rng = np.random.default_rng(5)
W1 = rng.normal(size=(6,5)).astype(np.float32)
b1 = rng.normal(size=(5,)).astype(np.float32)
W2 = rng.normal(size=(5,3)).astype(np.float32)
def const(name, arr):
    return {"name": name, "op": "Const", "attr": {"value": {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": str(d)} for d in arr.shape]}}}, "dtype": {"type": "DT_FLOAT"}}}
nodes = [
 {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "6"}]}}}},
 const("w1", W1), const("b1", b1), const("w2", W2),
 {"name": "mm1", "op": "MatMul", "input": ["x", "w1"], "attr": {"T": {"type": "DT_FLOAT"}, "transpose_a": {"b": False}, "transpose_b": {"b": False}}},
 {"name": "add1", "op": "BiasAdd", "input": ["mm1", "b1"], "attr": {"T": {"type": "DT_FLOAT"}, "data_format": {"s": "TkhXQw=="}}},
 {"name": "tanh1", "op": "Tanh", "input": ["add1"], "attr": {"T": {"type": "DT_FLOAT"}}},
 {"name": "logits", "op": "MatMul", "input": ["tanh1", "w2"], "attr": {"T": {"type": "DT_FLOAT"}, "transpose_a": {"b": False}, "transpose_b": {"b": False}}},
]
weights = [{"name": "w1", "shape": list(W1.shape), "dtype": "float32"}, {"name": "b1", "shape": list(b1.shape), "dtype": "float32"}, {"name": "w2", "shape": list(W2.shape), "dtype": "float32"}]
model = {"format": "graph-model", "generatedBy": "hand-built fixture by scripts/make-graph-model-fixture.py", "convertedBy": None,
  "modelTopology": {"node": nodes, "library": {}, "versions": {"producer": 1}},
  "signature": {"inputs": {"x": {"name": "x:0", "dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "-1"}, {"size": "6"}]}}}, "outputs": {"logits": {"name": "logits:0", "dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "-1"}, {"size": "3"}]}}}},
  "weightsManifest": [{"paths": ["weights.bin"], "weights": weights}]}
d = "/work/main/test/fixtures/tfjs-graph/"
json.dump(model, open(d + "model.json", "w"), indent=1)
open(d + "weights.bin", "wb").write(W1.tobytes() + b1.tobytes() + W2.tobytes())
x = rng.uniform(size=(4, 6)).astype(np.float32)
logits = np.tanh(x @ W1 + b1) @ W2
json.dump({"x": x.tolist(), "logits": logits.tolist(), "W1": W1.tolist(), "b1": b1.tolist(), "W2": W2.tolist()}, open(d + "expected.json", "w"))
