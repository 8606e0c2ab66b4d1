/* A prototype of the engine's two passes compiled, for the bench only: the tool itself stays pure Python.

It runs forward and backward over the graph's columns as the Builder leaves them (op, arg0, arg1,
and the leaves' values), for the ops the bench's programs use, with the op table's own rules, so
that its time on the same graph is the floor compiled passes would reach. Everything ours does
for these graphs is done here too: every value is checked finite, every gate the output reaches
keeps its local partials, and the gates it does not reach are told apart from those it does.

  forward    values[i] for every gate in id order; the caller fills the leaves' values
  backward   d output / d node, by one loop from the output down: grads[i], and for each gate the
             output reaches its partials in p0 (and p1 for two arguments), NAN elsewhere; reached[i]
             is 1 where the output's gradient arrives, as a gradient that is not None is in ours.
             A constant's gradient is 0, as ours resets it.

The rules, from the op table: add (1, 1), sub (1, -1), mul (b, a), tanh 4q/(1+q)**2 with q =
exp(-2|a|) (1 - t*t loses every digit once |t| rounds to 1), pow b*a**(b-1) (0 where b is 0, NAN
where a**(b-1) has no value) and out*log(a) (0 at a = 0 with b > 0, NAN for a < 0).

passes() returns 0, or where it stops: -(i+1) when node i's value is not finite (a forward
overflow, or pow outside its domain), i+1 when the backward pass meets a gradient at node i, or a
local partial of gate i into an argument that is not a constant, that is not finite, and MALFORMED
for columns that are not a graph of these ops (an unknown code, an argument not before its gate,
an output out of range). Loops only: nothing recursive, nothing allocated.
*/
#include <limits.h>
#include <math.h>
#include <stdint.h>

#define MALFORMED INT_MIN

enum { INPUT, CONST, ADD, SUB, MUL, POW, TANH, KINDS };

/* The caller's op codes (the compiled parser's: the op table's order) are read through its table
   kinds[code], one of the kinds above or -1, so the parser's columns are taken as they are. */
#define KIND(code) ((uint32_t)(code) < (uint32_t)ncodes ? kinds[code] : -1)

/* Whether an argument is a node before gate i (negative ones too: no argument where one is needed). */
#define BEFORE(x, i) ((uint32_t)(x) < (uint32_t)(i))

static int forward(int32_t n, const int32_t *op, const int32_t *arg0, const int32_t *arg1, double *values,
                   const int32_t *kinds, int32_t ncodes) {
    for (int32_t i = 0; i < n; i++) {
        int32_t a = arg0[i], b = arg1[i], kind = KIND(op[i]);
        double v;
        if (kind == INPUT || kind == CONST) v = values[i];
        else if (kind == TANH) {
            if (!BEFORE(a, i)) return MALFORMED;
            v = values[i] = tanh(values[a]);
        } else {
            if (!BEFORE(a, i) || !BEFORE(b, i)) return MALFORMED;
            double x = values[a], y = values[b];
            switch (kind) {
            case ADD: v = x + y; break;
            case SUB: v = x - y; break;
            case MUL: v = x * y; break;
            case POW: v = pow(x, y); break;
            default: return MALFORMED;
            }
            values[i] = v;
        }
        if (!isfinite(v)) return -(i + 1);
    }
    return 0;
}

/* pow's partial along its base, b*a**(b-1), into *da; 0 where it overflows (the gate fails). */
static int pow_base(double x, double y, double *da) {
    if (y == 0) return *da = 0, 1;
    double t = pow(x, y - 1);
    if (isnan(t) || (x == 0 && y - 1 < 0)) return *da = NAN, 1; /* no slope along the base */
    *da = y * t;
    return isfinite(*da);
}

static int backward(int32_t n, const int32_t *op, const int32_t *arg0, const int32_t *arg1, int32_t out,
                    const double *values, double *grads, double *p0, double *p1, unsigned char *reached,
                    const int32_t *kinds, int32_t ncodes) {
    for (int32_t i = 0; i < n; i++) grads[i] = 0, p0[i] = NAN, p1[i] = NAN, reached[i] = 0;
    grads[out] = 1, reached[out] = 1;
    for (int32_t i = out; i >= 0; i--) {
        if (!reached[i]) continue; /* the output does not reach it: gradient 0, no partials */
        int32_t a = arg0[i], b = arg1[i], kind = KIND(op[i]);
        double g = grads[i], da, db;
        if (kind == CONST) {
            grads[i] = 0;
            continue;
        }
        if (!isfinite(g)) return i + 1;
        switch (kind) {
        case INPUT: continue;
        case TANH: {
            double q = exp(-2 * fabs(values[a]));
            da = p0[i] = 4 * q / ((1.0 + q) * (1.0 + q));
            grads[a] += g * da, reached[a] = 1;
            continue;
        }
        case ADD: da = 1, db = 1; break;
        case SUB: da = 1, db = -1; break;
        case MUL: da = values[b], db = values[a]; break;
        case POW: {
            double x = values[a], y = values[b];
            if (!pow_base(x, y, &da)) return i + 1;
            db = x > 0 ? values[i] * log(x) : x == 0 && y > 0 ? 0 : NAN;
            break;
        }
        default: return MALFORMED;
        }
        if ((!isfinite(da) && KIND(op[a]) != CONST) || (!isfinite(db) && KIND(op[b]) != CONST)) return i + 1;
        p0[i] = da, p1[i] = db;
        grads[a] += g * da, reached[a] = 1;
        grads[b] += g * db, reached[b] = 1;
    }
    return 0;
}

/* Both passes over n nodes: 0, or where they stop (see above). values holds the leaves' values on
   entry and every node's on return; grads, p0, p1 and reached are written whole. */
int passes(int32_t n, const int32_t *op, const int32_t *arg0, const int32_t *arg1, int32_t out, double *values,
           double *grads, double *p0, double *p1, unsigned char *reached, const int32_t *kinds, int32_t ncodes) {
    if (n <= 0 || out < 0 || out >= n) return MALFORMED;
    int status = forward(n, op, arg0, arg1, values, kinds, ncodes);
    return status ? status : backward(n, op, arg0, arg1, out, values, grads, p0, p1, reached, kinds, ncodes);
}
