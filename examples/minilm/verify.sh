#!/usr/bin/env bash
# Builds the example and runs its tests: the tokenizer's ids against the reference tokenizer's,
# the safetensors reader's errors, and every weight type's embeddings against PyTorch's (cosine
# similarity; printed per weight type). The model tests are skipped without the weights.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$("$here/build.sh")"
export JOULE_MINILM_MODEL="${JOULE_MINILM_DIR:-$here/../../build/minilm}/model"
cd "$dir" && ctest -R '^minilm' --output-on-failure
"$dir/examples/minilm/minilm_model_test" | grep -a '^minilm' || true
