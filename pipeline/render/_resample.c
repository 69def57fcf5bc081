/* Sub-pixel scale-and-shift of one 8-bit plane: dst(x, y) = src(ax*x + cx, ay*y + cy), bilinear.
 *
 * Every Ken Burns frame is exactly this (no rotation), and OpenCV's warpAffine spends most of
 * its time working out a general affine position per pixel. Here positions are separable: one
 * table per column, one weight per row, 7-bit weights (1/128 px, finer than OpenCV's 1/32).
 * Each output row blends two source rows (a loop the compiler vectorises), then gathers along
 * it, four pixels per SSE2 multiply-add on x86. Outside the source, edge pixels repeat (like
 * BORDER_REPLICATE). The GIL is released while it runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define ONE 128   /* weight of a whole pixel */
#define SHIFT 14  /* two blends of 7 bits each */

/* For each output i: the source index k and the weight (ONE - w, w) of pixels k and k + 1. */
static void axis_table(Py_ssize_t n, double a, double c, Py_ssize_t size, int32_t *index, int16_t *pair) {
    for (Py_ssize_t i = 0; i < n; i++) {
        double s = a * (double)i + c;
        if (s < 0.0) s = 0.0;
        if (s > (double)(size - 1)) s = (double)(size - 1);
        Py_ssize_t k = (Py_ssize_t)s;
        if (k > size - 2) k = size - 2;
        if (k < 0) k = 0;
        int16_t w = size > 1 ? (int16_t)lround((s - (double)k) * ONE) : 0;
        index[i] = (int32_t)k;
        pair[2 * i] = (int16_t)(ONE - w);
        pair[2 * i + 1] = w;
    }
}

static inline int32_t load_pair(const uint16_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v); /* p[0] in the low half, p[1] in the high half */
    return v;
}

static void gather_row(const uint16_t *row, const int32_t *xi, const int16_t *pair, uint8_t *out, Py_ssize_t dw) {
    Py_ssize_t x = 0;
#if defined(__SSE2__)
    const __m128i round = _mm_set1_epi32(1 << (SHIFT - 1));
    for (; x + 4 <= dw; x += 4) {
        __m128i px = _mm_set_epi32(load_pair(row + xi[x + 3]), load_pair(row + xi[x + 2]),
                                   load_pair(row + xi[x + 1]), load_pair(row + xi[x]));
        __m128i sum = _mm_madd_epi16(px, _mm_loadu_si128((const __m128i *)(pair + 2 * x)));
        sum = _mm_srai_epi32(_mm_add_epi32(sum, round), SHIFT);
        __m128i bytes = _mm_packus_epi16(_mm_packs_epi32(sum, sum), sum);
        int32_t four = _mm_cvtsi128_si32(bytes);
        memcpy(out + x, &four, sizeof four);
    }
#endif
    for (; x < dw; x++) {
        const uint16_t *p = row + xi[x];
        int32_t sum = p[0] * pair[2 * x] + p[1] * pair[2 * x + 1];
        out[x] = (uint8_t)((sum + (1 << (SHIFT - 1))) >> SHIFT);
    }
}

static int resample(const uint8_t *src, Py_ssize_t sw, Py_ssize_t sh, Py_ssize_t sstride, uint8_t *dst,
                    Py_ssize_t dw, Py_ssize_t dh, Py_ssize_t dstride, double ax, double cx, double ay,
                    double cy) {
    int32_t *xi = malloc(sizeof(int32_t) * (size_t)dw);
    int16_t *xw = malloc(sizeof(int16_t) * 2 * (size_t)dw);
    int32_t *yi = malloc(sizeof(int32_t) * (size_t)dh);
    int16_t *yw = malloc(sizeof(int16_t) * 2 * (size_t)dh);
    uint16_t *row = malloc(sizeof(uint16_t) * (size_t)(sw + 1));
    if (!xi || !xw || !yi || !yw || !row) {
        free(xi), free(xw), free(yi), free(yw), free(row);
        return -1;
    }
    axis_table(dw, ax, cx, sw, xi, xw);
    axis_table(dh, ay, cy, sh, yi, yw);
    /* the columns this frame reads: only those need the vertical blend */
    Py_ssize_t lo = sw, hi = 0;
    for (Py_ssize_t x = 0; x < dw; x++) {
        if (xi[x] < lo) lo = xi[x];
        if (xi[x] + 2 > hi) hi = xi[x] + 2;
    }
    if (hi > sw) hi = sw;
    for (Py_ssize_t y = 0; y < dh; y++) {
        const uint8_t *r0 = src + (Py_ssize_t)yi[y] * sstride;
        const uint8_t *r1 = sh > 1 ? r0 + sstride : r0;
        uint16_t v = (uint16_t)yw[2 * y], w = (uint16_t)yw[2 * y + 1];
        for (Py_ssize_t k = lo; k < hi; k++) /* <= 255 * 128: a positive int16 */
            row[k] = (uint16_t)(r0[k] * v + r1[k] * w);
        row[hi] = row[hi - 1]; /* a one-pixel-wide source reads "k + 1" here */
        gather_row(row, xi, xw, dst + y * dstride, dw);
    }
    free(xi), free(xw), free(yi), free(yw), free(row);
    return 0;
}

static PyObject *py_resample(PyObject *self, PyObject *args) {
    Py_buffer src, dst;
    Py_ssize_t sw, sh, sstride, dw, dh, dstride;
    double ax, cx, ay, cy;
    if (!PyArg_ParseTuple(args, "y*nnnw*nnndddd", &src, &sw, &sh, &sstride, &dst, &dw, &dh, &dstride, &ax, &cx,
                          &ay, &cy))
        return NULL;
    int bad = sw < 1 || sh < 1 || dw < 1 || dh < 1 || sstride < sw || dstride < dw ||
              src.len < (sh - 1) * sstride + sw || dst.len < (dh - 1) * dstride + dw;
    int rc = 0;
    if (!bad) {
        Py_BEGIN_ALLOW_THREADS
        rc = resample(src.buf, sw, sh, sstride, dst.buf, dw, dh, dstride, ax, cx, ay, cy);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&src);
    PyBuffer_Release(&dst);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "plane sizes do not match their buffers");
        return NULL;
    }
    if (rc) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"resample", py_resample, METH_VARARGS,
     "resample(src, w, h, stride, dst, w, h, stride, ax, cx, ay, cy): dst(x, y) = src(ax*x + cx, ay*y + cy)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_resample", NULL, -1, methods};

PyMODINIT_FUNC PyInit__resample(void) { return PyModule_Create(&module); }
