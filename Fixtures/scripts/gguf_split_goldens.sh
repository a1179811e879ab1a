#!/usr/bin/env bash
# Golden for writing split GGUF: llama-gguf-split's `--split-max-size 3M` split of our Q8_0 GGUF
# of the trained fixture, recorded per part (name, size, SHA-256, tensors, the split keys). MPTKit's
# `mpt-convert … --quant q8_0 --shard-size 3MB` must write the same parts byte for byte.
#
#   Fixtures/scripts/gguf_split_goldens.sh MPT_CONVERT LLAMA_GGUF_SPLIT PYTHON
#
# PYTHON needs gguf (Fixtures/requirements.txt) to list each part's tensors and keys.
set -euo pipefail
convert=${1:?mpt-convert}
split_tool=${2:?llama-gguf-split}
python=${3:-python3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$convert" "$root/models/mpt-trained-d256" "$work/t.gguf" --quant q8_0
"$split_tool" --split --split-max-size 3M "$work/t.gguf" "$work/t" > "$work/split.log"
"$python" - "$work" "$root/goldens/gguf_split/trained-q8_0-3M.json" <<'PY'
import glob, hashlib, json, os, sys
import gguf
work, out = sys.argv[1], sys.argv[2]
def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()
parts = []
for path in sorted(glob.glob(os.path.join(work, "t-*-of-*.gguf"))):
    reader = gguf.GGUFReader(path)
    keys = [k for k in reader.fields if not k.startswith("GGUF.")]
    split = {k: int(reader.fields[k].parts[-1][0]) for k in keys if k.startswith("split.")}
    parts.append({"name": os.path.basename(path), "bytes": os.path.getsize(path), "sha256": sha(path),
                  "tensors": [t.name for t in reader.tensors], "metadata_keys": len(keys),
                  "split_keys": [k for k in keys if k.startswith("split.")], "split": split})
golden = {"generator": "Fixtures/scripts/gguf_split_goldens.sh",
          "source": "mpt-convert Fixtures/models/mpt-trained-d256 t.gguf --quant q8_0",
          "source_bytes": os.path.getsize(os.path.join(work, "t.gguf")), "source_sha256": sha(os.path.join(work, "t.gguf")),
          "split_tool": "llama-gguf-split --split --split-max-size 3M (llama-cpp-python 0.3.36 vendor/llama.cpp)",
          "max_bytes": 3000000, "parts": parts}
json.dump(golden, open(out, "w"), indent=1)
print(out, [p["name"] for p in parts])
PY
