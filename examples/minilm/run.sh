#!/usr/bin/env bash
# Builds the example if needed and runs it: one embedding (384 numbers) per input line.
#   examples/minilm/run.sh [--weights f32|f16|bf16|q8_0|q4_0] [--threads N] [--tokens] [FILE] < lines
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$("$here/build.sh")"
exec "$dir/examples/minilm/minilm" --model "${JOULE_MINILM_DIR:-$here/../../build/minilm}/model" "$@"
