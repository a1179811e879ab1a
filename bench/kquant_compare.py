#!/usr/bin/env python3
"""After bench/kquant_convert.sh: for each file type, whether MPTKit's file (ours-T.gguf, from
the f16 GGUF; ours-st-q4_k_m.gguf, from bf16 safetensors) holds the same tensors (name, type,
bytes) as llama-quantize's (theirs-T.gguf). Prints one JSON line per comparison.

    python3 bench/kquant_compare.py WORK_DIR q4_k_m q6_k q2_k
"""
import json
import os
import sys

from gguf import GGUFReader


def differing(a, b):
    ta = {t.name: t for t in GGUFReader(a).tensors}
    tb = {t.name: t for t in GGUFReader(b).tensors}
    names = sorted(set(ta) | set(tb))
    return len(names), [n for n in names if n not in ta or n not in tb or ta[n].tensor_type != tb[n].tensor_type
                        or ta[n].data.tobytes() != tb[n].data.tobytes()]


def main():
    work, types = sys.argv[1], sys.argv[2:]
    pairs = [(f"ours-{t}.gguf", f"theirs-{t}.gguf") for t in types] + [("ours-st-q4_k_m.gguf", "theirs-q4_k_m.gguf")]
    for ours, theirs in pairs:
        if not (os.path.exists(os.path.join(work, ours)) and os.path.exists(os.path.join(work, theirs))):
            continue
        count, bad = differing(os.path.join(work, ours), os.path.join(work, theirs))
        print(json.dumps({"compare": f"{ours} vs {theirs}", "tensors": count, "differing": bad[:10],
                          "identical": not bad}))


if __name__ == "__main__":
    main()
