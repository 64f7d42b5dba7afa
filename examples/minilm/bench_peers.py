#!/usr/bin/env python3
"""PyTorch (CPU) and onnxruntime running all-MiniLM-L6-v2 on the same sentences as the C++
example's --bench mode: one sentence at a time (batch 1), pre-tokenized (the C++ timing does not
include tokenization either), mean pooling and L2 normalization included. Prints one JSON line
per engine, in the C++ program's format. Run by examples/minilm/bench.sh.

    bench_peers.py --model DIR --onnx FILE --threads N --seconds S SENTENCES_FILE
"""
import argparse
import json
import os
import time


def read_sentences(path):
    with open(path, encoding="utf-8") as f:
        return [line for line in f.read().split("\n")][:-1]  # as std::getline splits


def run(label, threads, sentences, ntokens, step, seconds):
    for _ in range(1):  # warm-up pass
        for i in range(len(sentences)):
            step(i)
    count = tokens = 0
    t0 = time.perf_counter()
    while True:
        for i in range(len(sentences)):
            step(i)
            tokens += ntokens[i]
        count += len(sentences)
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            break
    print(json.dumps({"engine": label, "weights": "f32", "threads": threads, "sentences": count, "tokens": tokens,
                      "seconds": round(elapsed, 6), "sentences_per_s": round(count / elapsed, 3)}), flush=True)


class Pipeline:
    """The transformer, mean pooling over the attention mask and L2 normalization, as one module
    (what sentence-transformers runs; exported as is to ONNX)."""

    def __new__(cls, bert):
        import torch

        class _P(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.bert = bert

            def forward(self, input_ids, attention_mask, token_type_ids):
                h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
                m = attention_mask.unsqueeze(-1).to(h.dtype)
                e = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(e, p=2, dim=1)
        return _P()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--engines", default="pytorch,onnxruntime")
    ap.add_argument("sentences")
    args = ap.parse_args()

    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    st = SentenceTransformer(args.model, device="cpu")
    st.eval()
    sentences = read_sentences(args.sentences)
    feats = [st.tokenize([s]) for s in sentences]
    ntokens = [int(f["input_ids"].shape[1]) for f in feats]
    pipe = Pipeline(st[0].auto_model).eval()

    if "pytorch" in args.engines:
        def torch_step(i):
            f = feats[i]
            with torch.inference_mode():
                pipe(f["input_ids"], f["attention_mask"], f["token_type_ids"])
        run("pytorch", args.threads, sentences, ntokens, torch_step, args.seconds)

    if "onnxruntime" in args.engines:
        import onnxruntime as ort
        if not os.path.exists(args.onnx):
            os.makedirs(os.path.dirname(args.onnx), exist_ok=True)
            f = feats[0]
            with torch.no_grad():
                torch.onnx.export(pipe, (f["input_ids"], f["attention_mask"], f["token_type_ids"]), args.onnx,
                                  input_names=["input_ids", "attention_mask", "token_type_ids"],
                                  output_names=["embedding"], opset_version=17,
                                  dynamic_axes={k: {0: "batch", 1: "tokens"} for k in
                                                ["input_ids", "attention_mask", "token_type_ids"]})
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(args.onnx, so, providers=["CPUExecutionProvider"])
        inputs = [{k: feats[i][k].numpy().astype(np.int64) for k in ["input_ids", "attention_mask", "token_type_ids"]}
                  for i in range(len(sentences))]
        # The exported graph must give PyTorch's embeddings (a wrong export would time something else).
        with torch.inference_mode():
            ref = pipe(feats[-1]["input_ids"], feats[-1]["attention_mask"], feats[-1]["token_type_ids"]).numpy()
        got = sess.run(None, inputs[-1])[0]
        cos = float((ref * got).sum() / np.linalg.norm(ref) / np.linalg.norm(got))
        if cos < 0.9999:
            raise SystemExit(f"onnxruntime's embedding differs from PyTorch's (cosine {cos})")
        run("onnxruntime", args.threads, sentences, ntokens, lambda i: sess.run(None, inputs[i]), args.seconds)


if __name__ == "__main__":
    main()
