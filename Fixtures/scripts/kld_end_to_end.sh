#!/usr/bin/env bash
# End-to-end golden for text scoring (issue 16, 2b): llama-perplexity --kl-divergence on the same
# GGUF pair and text that mpt-verify scores — the trained fixture as F32 and as Q4_K_M (both
# written by mpt-convert; the Q4_K_M tensors are byte-identical to llama-quantize's), heldout.txt,
# ctx 128, 24 chunks. Keeps llama-perplexity's printed statistics (the PPL/KLD/Δp block).
#
#   Fixtures/scripts/kld_end_to_end.sh MPT_CONVERT LLAMA_PERPLEXITY
set -euo pipefail
convert=${1:?mpt-convert}
perplexity=${2:?llama-perplexity}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model="$root/models/mpt-trained-d256"
"$convert" "$model" "$work/f32.gguf" --dtype f32 --quiet
"$convert" "$model" "$work/q4_k_m.gguf" --quant q4_k_m --quiet
"$perplexity" -m "$work/f32.gguf" -f "$model/heldout.txt" -c 128 --chunks 24 -t 2 \
    --kl-divergence-base "$work/base.kld" > "$work/base.log" 2>&1
"$perplexity" -m "$work/q4_k_m.gguf" --kl-divergence-base "$work/base.kld" --kl-divergence -t 2 > "$work/q.log" 2>&1
sed -n '/====== Perplexity statistics ======/,$p' "$work/q.log" | grep -v "llama_perf\|^$" \
    > "$root/goldens/kld_e2e/q4_k_m-ctx128-chunks24.txt"
cat "$root/goldens/kld_e2e/q4_k_m-ctx128-chunks24.txt"
