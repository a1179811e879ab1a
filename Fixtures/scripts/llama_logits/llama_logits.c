// llama_logits: load a GGUF with llama.cpp, evaluate a fixed token sequence in one batch with
// every position's logits requested, and write them as a float32 .npy of shape [n_tokens, n_vocab].
// Stands in for llama-cpp-python's Llama(model_path, logits_all=True).eval(tokens) (0.3.36 wraps
// the same vendored llama.cpp these static libraries were built from).
//
//   llama_logits MODEL.gguf TOKENS.txt OUT.npy [THREADS]
//
// TOKENS.txt: token ids separated by whitespace, commas or brackets (a JSON list works).
// Exit 1 with one line on stderr on any failure.
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llama.h"

static void quiet(enum ggml_log_level level, const char * text, void * data) {
    (void) data;
    if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

static int read_tokens(const char * path, llama_token ** out) {
    FILE * f = fopen(path, "rb");
    if (!f) return -1;
    int cap = 256, n = 0, c;
    llama_token * tokens = malloc(sizeof *tokens * cap);
    long value = -1;
    while ((c = fgetc(f)) != EOF) {
        if (isdigit(c)) { value = (value < 0 ? 0 : value * 10) + (c - '0'); continue; }
        if (value >= 0) {
            if (n == cap) tokens = realloc(tokens, sizeof *tokens * (cap *= 2));
            tokens[n++] = (llama_token) value;
            value = -1;
        }
    }
    if (value >= 0) { if (n == cap) tokens = realloc(tokens, sizeof *tokens * (cap + 1)); tokens[n++] = (llama_token) value; }
    fclose(f);
    *out = tokens;
    return n;
}

static int write_npy(const char * path, const float * data, int rows, int cols) {
    char header[128];
    int len = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols);
    int total = 10 + len + 1;
    int pad = (64 - total % 64) % 64;
    FILE * f = fopen(path, "wb");
    if (!f) return -1;
    unsigned short hlen = (unsigned short) (len + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hlen & 0xff, f); fputc(hlen >> 8, f);
    fwrite(header, 1, len, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    size_t count = (size_t) rows * cols;
    int ok = fwrite(data, sizeof(float), count, f) == count;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int main(int argc, char ** argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s MODEL.gguf TOKENS.txt OUT.npy [THREADS]\n", argv[0]); return 1; }
    int threads = argc > 4 ? atoi(argv[4]) : 2;
    llama_token * tokens = NULL;
    int n = read_tokens(argv[2], &tokens);
    if (n <= 0) { fprintf(stderr, "%s: no token ids\n", argv[2]); return 1; }

    llama_log_set(quiet, NULL);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    struct llama_model * model = llama_model_load_from_file(argv[1], mp);
    if (!model) { fprintf(stderr, "%s: llama.cpp could not load the model\n", argv[1]); return 1; }
    const struct llama_vocab * vocab = llama_model_get_vocab(model);
    int n_vocab = llama_vocab_n_tokens(vocab);

    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t) n;
    cp.n_batch = (uint32_t) n;
    cp.n_ubatch = (uint32_t) n;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    struct llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "%s: llama.cpp could not create a context\n", argv[1]); return 1; }

    struct llama_batch batch = llama_batch_init(n, 0, 1);
    for (int i = 0; i < n; i++) {
        batch.token[i] = tokens[i];
        batch.pos[i] = i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = 1;
    }
    batch.n_tokens = n;
    if (llama_decode(ctx, batch) != 0) { fprintf(stderr, "%s: llama_decode failed\n", argv[1]); return 1; }

    float * logits = malloc(sizeof(float) * (size_t) n * n_vocab);
    for (int i = 0; i < n; i++) {
        const float * row = llama_get_logits_ith(ctx, i);
        if (!row) { fprintf(stderr, "%s: no logits for position %d\n", argv[1], i); return 1; }
        memcpy(logits + (size_t) i * n_vocab, row, sizeof(float) * n_vocab);
    }
    if (write_npy(argv[3], logits, n, n_vocab) != 0) { fprintf(stderr, "%s: cannot write\n", argv[3]); return 1; }

    free(logits);
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    free(tokens);
    return 0;
}
