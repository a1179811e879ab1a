// Block oracle: quantizes / dequantizes raw float32 rows with ggml's own reference code
// (ggml_quantize_chunk, which without an importance matrix runs the scalar *_ref quantizers,
// and the type's to_float), so MPTKit's encoders can be compared byte for byte.
//
//   ggml_ref quantize   TYPE N_PER_ROW [IMATRIX.f32] < rows.f32 > blocks.bin
//   ggml_ref dequantize TYPE N_PER_ROW               < blocks.bin > rows.f32
//
// TYPE is a ggml type name as ggml_type_name prints it (q4_K, q6_K, iq4_xs, ...). IMATRIX is
// N_PER_ROW float32 weights (optional; the weighted quantize_*_impl paths).
// Built by build.sh against the ggml sources that llama-cpp-python 0.3.36 vendors.
#include "ggml.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum ggml_type type_named(const char * name) {
    for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
        const char * n = ggml_type_name((enum ggml_type) t);
        if (n && strcmp(n, name) == 0) return (enum ggml_type) t;
    }
    fprintf(stderr, "unknown type %s\n", name);
    exit(2);
}

static void * read_all(FILE * f, size_t * size) {
    size_t cap = 1 << 20, len = 0;
    char * buf = malloc(cap);
    for (;;) {
        if (len == cap) { cap *= 2; buf = realloc(buf, cap); }
        size_t n = fread(buf + len, 1, cap - len, f);
        if (n == 0) break;
        len += n;
    }
    *size = len;
    return buf;
}

int main(int argc, char ** argv) {
    if (argc < 4) { fprintf(stderr, "usage: ggml_ref quantize|dequantize TYPE N_PER_ROW [IMATRIX]\n"); return 64; }
    const enum ggml_type type = type_named(argv[2]);
    const int64_t n_per_row = atoll(argv[3]);
    size_t size = 0;
    void * input = read_all(stdin, &size);
    const size_t row_bytes = ggml_row_size(type, n_per_row);
    if (strcmp(argv[1], "quantize") == 0) {
        const int64_t rows = (int64_t) (size / sizeof(float)) / n_per_row;
        float * imatrix = NULL;
        if (argc > 4) {
            FILE * f = fopen(argv[4], "rb");
            if (!f) { perror(argv[4]); return 2; }
            size_t isize = 0;
            imatrix = read_all(f, &isize);
            fclose(f);
            if (isize != (size_t) n_per_row * sizeof(float)) { fprintf(stderr, "imatrix size\n"); return 2; }
        }
        void * out = malloc(rows * row_bytes);
        ggml_quantize_init(type);
        const size_t written = ggml_quantize_chunk(type, input, out, 0, rows, n_per_row, imatrix);
        fwrite(out, 1, written, stdout);
    } else {
        const int64_t rows = (int64_t) (size / row_bytes);
        float * out = malloc(rows * n_per_row * sizeof(float));
        ggml_get_type_traits(type)->to_float(input, out, rows * n_per_row);
        fwrite(out, sizeof(float), rows * n_per_row, stdout);
    }
    return 0;
}
