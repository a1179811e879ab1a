#!/usr/bin/env bash
# Tokenize ~10 MB of text with mpt-tokenize (release) and with HF tokenizers, in the same run,
# and check the ids are identical.
#   bash bench/tokenize_bench.sh [TEXT_FILE] [MODEL_DIR]
# Without TEXT_FILE a corpus is built from the Python standard library's sources (code, prose
# in docstrings and comments, some non-ASCII), cut to 10 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${2:-Fixtures/models/mpt-neox-tok-f16}
TEXT=${1:-/tmp/mptkit-tokenize-corpus.txt}
if [ ! -s "$TEXT" ]; then
  python3 - "$TEXT" <<'PY'
import pathlib, sys, sysconfig
root = pathlib.Path(sysconfig.get_paths()["stdlib"])
out, size = [], 0
for path in sorted(root.rglob("*.py")):
    if "site-packages" in path.parts or "test" in path.parts:
        continue
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        continue
    out.append(text)
    size += len(text.encode("utf-8"))
    if size >= 10_000_000:
        break
data = "".join(out).encode("utf-8")[:10_000_000].decode("utf-8", "ignore")
pathlib.Path(sys.argv[1]).write_text(data, encoding="utf-8")
PY
fi
swift build -c release --product mpt-tokenize >/dev/null
BIN=$(swift build -c release --show-bin-path)/mpt-tokenize
IDS=$(mktemp)
trap 'rm -f "$IDS"' EXIT
echo "corpus: $TEXT ($(wc -c <"$TEXT") bytes)"
for threads in 1 2; do
  "$BIN" "$MODEL" --file "$TEXT" --count --threads "$threads" | tr '\n' ' ' | sed "s/^/mpt-tokenize --threads $threads: /"; echo
done
START=$(date +%s.%N)
"$BIN" "$MODEL" --file "$TEXT" --threads 2 >"$IDS"
END=$(date +%s.%N)
echo "mpt-tokenize wall time incl. process start, load and printing ids: $(echo "$END - $START" | bc) s"
python3 bench/tokenize_bench.py "$MODEL/tokenizer.json" "$TEXT" "$IDS"
