/* A prototype of the floor's output written in C, for the bench only: the tool itself stays pure
Python.

It writes what bench/floor.py prints, from the columns the compiled parser leaves and the numbers
the compiled passes leave, without a Python object per node:
  write_document  eval's version 2 document: the inputs' gradients; each node's name, op, arguments,
                  value, gradient, line and column; each edge the gradient flows along (gate,
                  position, input, local and downstream gradient), gates from the output back,
                  edges into a constant left out, as the tool leaves them out;
  write_table     the 60 edges with the largest downstream gradients and the 60 inputs with the
                  largest gradients, a line each, in the floor's words and order.

Numbers are written with "%.17g", which reads back as the same double but is longer than Python's
shortest repr, and slower to make than a shortest-digits algorithm (Python's own repr, called from
here, was slower still: an allocation per number, and the GIL held): a prototype slower than a real
writer would be, not faster. NaN and the infinities are written as Python's json writes them.

Both return the bytes written, or -1 when `capacity` is too small (the caller grows its buffer and
calls again). Loops only: nothing recursive, nothing allocated.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { INPUT, CONST }; /* kinds[code] of a leaf, as in compiled_passes.c; gates are other kinds */

typedef struct {
    char *at, *end;
    int full;
} Out;

static void put(Out *o, const char *s, size_t n) {
    if (o->full || (size_t)(o->end - o->at) < n) {
        o->full = 1;
        return;
    }
    memcpy(o->at, s, n);
    o->at += n;
}

static void text(Out *o, const char *s) { put(o, s, strlen(s)); }

static void number(Out *o, double v) {
    if (isnan(v) || isinf(v)) {
        text(o, isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%.17g", v);
    if (!strpbrk(buf, ".e")) buf[n++] = '.', buf[n++] = '0'; /* 2.0, not 2: a float reads back as one */
    put(o, buf, (size_t)n);
}

static void integer(Out *o, long v) { /* digits by hand: printf's parsing of its format costs more */
    char buf[24], *at = buf + sizeof buf;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do *--at = (char)('0' + u % 10); while (u /= 10);
    if (v < 0) *--at = '-';
    put(o, at, (size_t)(buf + sizeof buf - at));
}

static void name(Out *o, const char *src, int32_t at, int32_t len) {
    if (at < 0) {
        text(o, "null");
        return;
    }
    put(o, "\"", 1), put(o, src + at, (size_t)len), put(o, "\"", 1); /* identifiers: nothing to escape */
}

typedef struct {
    long at, line, line_start; /* a position in the text, its line (from 1) and where that line starts */
} Where;

/* Move w to `to` and return its line. */
static long locate(Where *w, const char *src, long to) {
    for (; w->at < to; w->at++)
        if (src[w->at] == '\n') w->line++, w->line_start = w->at + 1;
    if (w->at > to) {
        for (; w->at > to; w->at--)
            if (src[w->at - 1] == '\n') w->line--;
        for (w->line_start = to; w->line_start > 0 && src[w->line_start - 1] != '\n'; w->line_start--) {
        }
    }
    return w->line;
}

/* Whether node i carries a gradient: a gate, or a named input (a constant does not). */
#define VARIES(i) (kinds[op[i]] != CONST)

long write_document(int32_t n, const int32_t *op, const int32_t *kinds, const char *const *op_names,
                    const int32_t *arg0, const int32_t *arg1, const int32_t *name_at, const int32_t *name_len,
                    const int32_t *start, const char *src, const double *values,
                    const double *grads, const double *p0, const double *p1, const unsigned char *reached,
                    char *buffer, int64_t capacity) {
    Out o = {buffer, buffer + capacity, 0};
    int first = 1;
    text(&o, "{\"gradients\": {");
    for (int32_t i = 0; i < n; i++) {
        if (kinds[op[i]] != INPUT) continue;
        if (!first) text(&o, ", ");
        first = 0;
        name(&o, src, name_at[i], name_len[i]), text(&o, ": "), number(&o, grads[i]);
    }
    text(&o, "}, \"nodes\": {\"name\": [");
    for (int32_t i = 0; i < n; i++) {
        if (i) text(&o, ", ");
        name(&o, src, name_at[i], name_len[i]);
    }
    text(&o, "], \"op\": [");
    for (int32_t i = 0; i < n; i++) {
        if (i) text(&o, ", ");
        put(&o, "\"", 1), text(&o, op_names[op[i]]), put(&o, "\"", 1);
    }
    text(&o, "], \"args\": [");
    for (int32_t i = 0; i < n; i++) {
        if (i) text(&o, ", ");
        text(&o, "[");
        if (arg0[i] >= 0) integer(&o, arg0[i]);
        if (arg1[i] >= 0) text(&o, ", "), integer(&o, arg1[i]);
        text(&o, "]");
    }
    text(&o, "], \"value\": [");
    for (int32_t i = 0; i < n; i++) {
        if (i) text(&o, ", ");
        number(&o, values[i]);
    }
    text(&o, "], \"grad\": [");
    for (int32_t i = 0; i < n; i++) {
        if (i) text(&o, ", ");
        number(&o, grads[i]);
    }
    /* lines and columns: one walk over the text, forward to each node's start, or back a little
       where a node starts before the last (a literal is made before the gate that reads it) */
    text(&o, "], \"line\": [");
    Where w = {0, 1, 0};
    for (int32_t i = 0; i < n; i++) {
        if (i) text(&o, ", ");
        integer(&o, locate(&w, src, start[i]));
    }
    text(&o, "], \"col\": [");
    w = (Where){0, 1, 0};
    for (int32_t i = 0; i < n; i++) {
        if (i) text(&o, ", ");
        locate(&w, src, start[i]);
        integer(&o, start[i] - w.line_start + 1);
    }
    /* the edges, gates from the output back: five columns, each one more walk over the gates */
    static const char *const columns[] = {"gate", "position", "input", "local", "downstream"};
    text(&o, "]}, \"edges\": {");
    for (int c = 0; c < 5; c++) {
        if (c) text(&o, "], ");
        text(&o, "\""), text(&o, columns[c]), text(&o, "\": [");
        first = 1;
        for (int32_t i = n - 1; i >= 0; i--) {
            if (!reached[i] || kinds[op[i]] == INPUT || kinds[op[i]] == CONST) continue;
            for (int pos = 0; pos < 2; pos++) {
                int32_t a = pos ? arg1[i] : arg0[i];
                if (a < 0 || !VARIES(a)) continue;
                if (!first) text(&o, ", ");
                first = 0;
                double local = pos ? p1[i] : p0[i];
                switch (c) {
                case 0: integer(&o, i); break;
                case 1: integer(&o, pos); break;
                case 2: integer(&o, a); break;
                case 3: number(&o, local); break;
                default: number(&o, grads[i] * local);
                }
            }
        }
    }
    text(&o, "]}}");
    return o.full ? -1 : (long)(o.at - buffer);
}

#define ROWS 60

typedef struct {
    double size;
    long at; /* the row's place among all: the earlier wins a tie */
} Best;

/* Keep the ROWS largest sizes seen, largest first (ties: the earlier place), in best[0..*count). */
static void keep(Best *best, int *count, double size, long at) {
    int k = *count;
    if (k == ROWS) {
        if (!(size > best[ROWS - 1].size)) return; /* not above the last kept: a tie goes to the earlier */
        k = ROWS - 1;
    } else {
        (*count)++;
    }
    for (; k > 0 && size > best[k - 1].size; k--) best[k] = best[k - 1];
    best[k] = (Best){size, at};
}

/* The kept rows back in their places' order. */
static void by_place(Best *best, int count) {
    for (int i = 1; i < count; i++) {
        Best b = best[i];
        int k = i;
        for (; k > 0 && best[k - 1].at > b.at; k--) best[k] = best[k - 1];
        best[k] = b;
    }
}

static void label(Out *o, const char *src, const int32_t *name_at, const int32_t *name_len, int32_t i) {
    if (name_at[i] < 0) integer(o, i);
    else put(o, src + name_at[i], (size_t)name_len[i]);
}

long write_table(int32_t n, const int32_t *op, const int32_t *kinds, const char *const *op_names,
                 const int32_t *arg0, const int32_t *arg1, const int32_t *name_at, const int32_t *name_len,
                 const char *src, const double *values, const double *grads, const double *p0,
                 const double *p1, const unsigned char *reached, char *buffer, int64_t capacity) {
    Out o = {buffer, buffer + capacity, 0};
    Best best[ROWS];
    int count = 0;
    long at = 0;
    for (int32_t i = n - 1; i >= 0; i--) { /* the edges in the ledger's order, as write_document's */
        if (!reached[i] || kinds[op[i]] == INPUT || kinds[op[i]] == CONST) continue;
        for (int pos = 0; pos < 2; pos++) {
            int32_t a = pos ? arg1[i] : arg0[i];
            if (a < 0 || !VARIES(a)) continue;
            keep(best, &count, fabs(grads[i] * (pos ? p1[i] : p0[i])), at++);
        }
    }
    by_place(best, count);
    int next = 0;
    at = 0;
    for (int32_t i = n - 1; i >= 0 && next < count; i--) { /* the same walk, writing the kept edges */
        if (!reached[i] || kinds[op[i]] == INPUT || kinds[op[i]] == CONST) continue;
        for (int pos = 0; pos < 2 && next < count; pos++) {
            int32_t a = pos ? arg1[i] : arg0[i];
            if (a < 0 || !VARIES(a)) continue;
            if (at++ != best[next].at) continue;
            next++;
            double local = pos ? p1[i] : p0[i];
            label(&o, src, name_at, name_len, i), text(&o, " "), text(&o, op_names[op[i]]), text(&o, " ");
            number(&o, values[i]), text(&o, " "), number(&o, grads[i]), text(&o, " ");
            label(&o, src, name_at, name_len, a), text(&o, " "), number(&o, local), text(&o, " ");
            number(&o, grads[i] * local), text(&o, "\n");
        }
    }
    count = 0, at = 0;
    for (int32_t i = 0; i < n; i++)
        if (kinds[op[i]] == INPUT) keep(best, &count, fabs(grads[i]), at++);
    by_place(best, count);
    next = 0, at = 0;
    for (int32_t i = 0; i < n && next < count; i++) {
        if (kinds[op[i]] != INPUT || at++ != best[next].at) continue;
        next++;
        label(&o, src, name_at, name_len, i), text(&o, " "), number(&o, values[i]), text(&o, " ");
        number(&o, grads[i]), text(&o, "\n");
    }
    return o.full ? -1 : (long)(o.at - buffer);
}
