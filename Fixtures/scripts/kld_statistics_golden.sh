#!/usr/bin/env bash
# Statistics golden for `TextScorer.score(base:chunks:candidateLogits:)` (issue 16 item 2a).
#
# Makes, from the trained fixture (models/mpt-trained-d256, vocab 8192):
#   ref.gguf (our F32 export) and cand.gguf (our Q4_0 export), then with llama.cpp's own tools
#   goldens/kld_stats/base.kld          llama-perplexity --kl-divergence-base on heldout.txt, -c 64 --chunks 4
#   goldens/kld_stats/perplexity.txt    llama-perplexity --kl-divergence output for cand.gguf against it
#   goldens/kld_stats/cand_logits.npy   float32 (chunks·31, 8192): the very logits that run scored.
# The logits come from a copy of llama.cpp's tools/perplexity/perplexity.cpp, patched only to write
# `all_logits` before each `process_logits` call, compiled with the same flags and linked with the
# same static libraries as /work/llama-tools/bin/llama-perplexity: the same windows, BOS handling
# and batches, so the candidate logits are exactly the numbers llama-perplexity's statistics used.
#
# Usage: Fixtures/scripts/kld_statistics_golden.sh [mpt-convert binary]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
convert="${1:-$here/../.build/debug/mpt-convert}"
tools=/work/llama-tools
src="$tools/src/llama_cpp_python-0.3.36/vendor/llama.cpp"
build="$tools/src/build"
model="$here/models/mpt-trained-d256"
out="$here/goldens/kld_stats"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
py="${PYTHON:-/work/venv-pinned/bin/python}"

"$convert" "$model" "$work/ref.gguf" --dtype f32
"$convert" "$model" "$work/cand.gguf" --quant q4_0

# The patched perplexity tool.
"$py" - "$src/tools/perplexity/perplexity.cpp" "$work/perplexity_dump.cpp" <<'PY'
import sys
text = open(sys.argv[1]).read()
anchor = "            process_logits(n_vocab, all_logits, tokens.data() + start + seq*n_ctx + first, n_ctx - 1 - first,"
assert text.count(anchor) == 1, "perplexity.cpp changed: the kl_divergence anchor is not unique"
dump = ('            if (const char * dump_path = getenv("KLD_DUMP_LOGITS")) {\n'
        '                static FILE * dump_file = fopen(dump_path, "wb");\n'
        '                fwrite(all_logits, sizeof(float), size_t(n_ctx - 1 - first) * n_vocab, dump_file);\n'
        '                fflush(dump_file);\n'
        '            }\n')
open(sys.argv[2], "w").write("#include <cstdio>\n#include <cstdlib>\n" + text.replace(anchor, dump + anchor))
PY
inc="-I$src/tools/perplexity -I$src/common -I$src/vendor -I$src/include -I$src/ggml/include"
c++ -DGGML_USE_CPU -DLLAMA_SUBPROCESS $inc -O3 -DNDEBUG -c "$work/perplexity_dump.cpp" -o "$work/perplexity_dump.o"
c++ -O3 -DNDEBUG "$build/tools/perplexity/CMakeFiles/llama-perplexity.dir/main.cpp.o" "$work/perplexity_dump.o" \
    "$build/common/libllama-common.a" "$build/common/libllama-common-base.a" "$build/vendor/cpp-httplib/libcpp-httplib.a" \
    "$build/src/libllama.a" "$build/ggml/src/libggml.a" -ldl "$build/ggml/src/libggml-cpu.a" "$build/ggml/src/libggml-base.a" \
    -lm -fopenmp -lpthread -o "$work/perplexity-dump"

"$tools/bin/llama-perplexity" -m "$work/ref.gguf" -f "$model/heldout.txt" -c 64 --chunks 4 -b 64 -t 2 \
    --kl-divergence-base "$out/base.kld" > "$work/base.log" 2> "$work/base.err"

# llama.cpp's logger is asynchronous and now and then loses the tail of stdout at exit: run until
# the last statistic is printed (the logits file is written, and flushed, on its own).
complete() { # log, command...
    local log="$1"; shift
    for attempt in 1 2 3 4 5; do
        rm -f "$work/logits.f32"
        "$@" > "$log" 2> "$log.err"
        grep -q '^Same top p' "$log" && return 0
    done
    echo "no complete output from $*" >&2; return 1
}
complete "$work/kld.log" "$tools/bin/llama-perplexity" -m "$work/cand.gguf" --kl-divergence-base "$out/base.kld" \
    --kl-divergence -c 64 -b 64 -t 2
export KLD_DUMP_LOGITS="$work/logits.f32"
complete "$work/kld-dump.log" "$work/perplexity-dump" -m "$work/cand.gguf" --kl-divergence-base "$out/base.kld" \
    --kl-divergence -c 64 -b 64 -t 2

# The printed statistics (stdout of the stock binary); the patched one must have printed the same.
sed -n '/^chunk /,$p' "$work/kld.log" > "$out/perplexity.txt"
sed -n '/^chunk /,$p' "$work/kld-dump.log" | cmp - "$out/perplexity.txt"
"$py" - "$work/logits.f32" "$out/cand_logits.npy" <<'PY'
import sys, numpy as np
logits = np.fromfile(sys.argv[1], dtype="<f4").reshape(-1, 8192)
assert logits.shape == (4 * 31, 8192), logits.shape
np.save(sys.argv[2], logits)
PY
cat "$out/perplexity.txt"
