/* A prototype of a compiled tokenizer and parser, for the bench only: the tool itself stays pure Python.

It reads the subset of the language the bench's programs use and fills the same columns as the
parser's Builder (op, arg0, arg1, given value, name, start and end offsets), so that its time on
the same text is the floor a compiled front end would reach. Everything ours does for these
inputs is done here too: every token is scanned, every name is resolved through a hash table,
every literal is converted, every node is built with its span.

  statements   NAME = expression, one a line (blank lines skipped; newlines inside parentheses
               continue the statement)
  expression   + - * / % ** ^ (** and ^ right-associative), prefix + and -, parentheses, names,
               numbers, one-argument calls fn(a)

A literal is a const leaf; prefix + or - on a constant folds into one const (ours does); a
statement whose value is a constant makes an input of it, spanning its name; an unknown name read
on a right-hand side is an input leaf made at its first use. The op codes, precedences and the
special names (keywords, constants, functions) come from the caller, from the op table.

parse() returns the node count, -1 for anything outside the subset (ours would give an error or
read it by rules not written here: comments, ';', continuations, claims, folding of two constants,
calls of other arity, a name beginning with d that could be a claim) and -2 when the caller's
columns are too small. Iterative throughout: explicit stacks, limits on depth and size.
*/
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 1000       /* nested parentheses and calls in one statement, as ours */
#define MAX_NODES 5000000    /* as ours */
#define MAX_DIGITS 1000      /* characters in one number, as ours */
#define MAX_INPUT (64 << 20) /* characters of input, as ours */
#define OUTSIDE (-1)
#define TOO_SMALL (-2)
#define REJECT (-2) /* a special name's entry: a keyword, a constant, a function of other arity */

enum { SYM_ADD, SYM_SUB, SYM_MUL, SYM_DIV, SYM_POW, SYM_MOD, SYM_CARET, SYMS };
enum { T_END, T_NEWLINE, T_NAME, T_NUM, T_SYM, T_OPEN, T_CLOSE, T_EQUALS, T_BAD };
enum { E_BIN, E_UN, E_PAREN, E_CALL };

typedef struct { /* from the op table, filled by the caller */
    int32_t input, constant, copy;
    int32_t binary[SYMS], precedence[SYMS], right[SYMS];
    int32_t unary[2], unary_precedence; /* prefix + and - */
} Codes;

typedef struct { /* the caller's arrays, one per column */
    int32_t *op, *arg0, *arg1, *name_at, *name_len, *start, *end;
    double *given; /* NAN where ours holds None */
    int32_t capacity;
} Columns;

typedef struct { uint32_t hash; int32_t value, at, len; } Slot; /* len 0: empty; at < 0: a special name */
typedef struct { int32_t node, start, end; } Operand;
typedef struct { int32_t kind, op, start, rank; } Entry; /* rank: precedence, or height for ( and calls */
typedef struct { int kind, sym; int32_t start, end; } Token;

typedef struct {
    const char *text, *specials;
    int32_t len, pos, count, last, depth;
    int full; /* the caller's columns ran out */
    const Codes *codes;
    Columns *out;
    Slot *slots;
    uint32_t mask, used;
    Operand *values;
    Entry *stack;
    int32_t nvalues, nstack, cvalues, cstack;
} Parser;

/* ---- names: open addressing, linear probing, FNV-1a; a slot holds where its name is written ---- */

static uint32_t hash_of(const char *s, int32_t n) {
    uint32_t h = 2166136261u;
    for (int32_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static const char *key_of(const Parser *p, int32_t at) { return at >= 0 ? p->text + at : p->specials - 1 - at; }

/* The slot of a name: its own (len set) or the empty one where it would go. */
static Slot *lookup(const Parser *p, const char *key, int32_t len, uint32_t h) {
    for (uint32_t i = h & p->mask;; i = (i + 1) & p->mask) {
        Slot *s = &p->slots[i];
        if (!s->len || (s->hash == h && s->len == len && memcmp(key_of(p, s->at), key, len) == 0)) return s;
    }
}

static int grow_names(Parser *p) {
    uint32_t mask = 2 * p->mask + 1;
    Slot *slots = calloc((size_t)mask + 1, sizeof(Slot));
    if (!slots) return 0;
    for (uint32_t i = 0; i <= p->mask; i++) {
        if (!p->slots[i].len) continue;
        uint32_t j = p->slots[i].hash & mask;
        while (slots[j].len) j = (j + 1) & mask;
        slots[j] = p->slots[i];
    }
    free(p->slots);
    p->slots = slots, p->mask = mask;
    return 1;
}

/* Bind the name written at `at` (in the text, or the special names when negative) to `value`. */
static int insert(Parser *p, int32_t at, int32_t len, uint32_t h, int32_t value) {
    if (2 * (p->used + 1) > p->mask + 1 && !grow_names(p)) return 0;
    Slot *s = lookup(p, key_of(p, at), len, h);
    p->used += !s->len;
    *s = (Slot){h, value, at, len};
    return 1;
}

/* ---- tokens ---- */

static int is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* (?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)? from `i`; returns where it ends */
static int32_t number_end(const char *t, int32_t i, int32_t n) {
    while (i < n && is_digit(t[i])) i++;
    if (i < n && t[i] == '.') i++;
    while (i < n && is_digit(t[i])) i++;
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        int32_t j = i + 1;
        if (j < n && (t[j] == '+' || t[j] == '-')) j++;
        if (j < n && is_digit(t[j])) {
            while (j < n && is_digit(t[j])) j++;
            i = j;
        }
    }
    return i;
}

static int symbol(const char *t, int32_t i, int32_t n, int32_t *end) {
    static const char one[] = "+-*/%^";
    static const int syms[] = {SYM_ADD, SYM_SUB, SYM_MUL, SYM_DIV, SYM_MOD, SYM_CARET};
    if (t[i] == '*' && i + 1 < n && t[i + 1] == '*') return *end = i + 2, SYM_POW;
    const char *at = strchr(one, t[i]);
    return at && t[i] ? (*end = i + 1, syms[at - one]) : -1;
}

static Token next(Parser *p) {
    const char *t = p->text;
    int32_t i = p->pos, n = p->len;
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\f')) i++;
    Token k = {T_END, -1, i, i};
    if (i >= n) return p->pos = i, k;
    char c = t[i];
    if (c == '\n' || c == '\r') k.kind = T_NEWLINE, k.end = i + (c == '\r' && i + 1 < n && t[i + 1] == '\n') + 1;
    else if (is_name_char(c) && !is_digit(c)) {
        for (k.end = i + 1; k.end < n && is_name_char(t[k.end]);) k.end++;
        k.kind = T_NAME;
    } else if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(t[i + 1]))) {
        k.end = number_end(t, i, n);
        /* a number run into a name or another number: ours gives an error */
        k.kind = k.end < n && (is_name_char(t[k.end]) || t[k.end] == '.') ? T_BAD : T_NUM;
    } else if (c == '(' || c == ')' || c == '=') {
        k.kind = c == '(' ? T_OPEN : c == ')' ? T_CLOSE : T_EQUALS;
        k.end = i + 1;
    } else if ((k.sym = symbol(t, i, n, &k.end)) >= 0) k.kind = T_SYM;
    else k.kind = T_BAD;
    p->pos = k.end;
    return k;
}

/* ---- nodes ---- */

static int32_t append(Parser *p, int32_t op, int32_t a, int32_t b, double value, int32_t start, int32_t end) {
    Columns *c = p->out;
    int32_t i = p->count;
    if (i >= MAX_NODES) return -1;
    if (i >= c->capacity) return p->full = 1, -1;
    c->op[i] = op, c->arg0[i] = a, c->arg1[i] = b, c->given[i] = value;
    c->name_at[i] = -1, c->name_len[i] = -1, c->start[i] = start, c->end[i] = end;
    p->count = i + 1;
    return i;
}

/* A literal's value as ours reads it: finite, and not a nonzero mantissa rounded to 0. */
static int32_t literal(Parser *p, Token k) {
    const char *t = p->text + k.start;
    char *stop;
    if (k.end - k.start > MAX_DIGITS) return OUTSIDE;
    double v = strtod(t, &stop);
    if (stop != p->text + k.end || !isfinite(v)) return OUTSIDE;
    if (v == 0)
        for (const char *c = t; c < stop && *c != 'e' && *c != 'E'; c++)
            if (*c >= '1' && *c <= '9') return OUTSIDE;
    return append(p, p->codes->constant, -1, -1, v, k.start, k.end);
}

/* A gate, or for a prefix sign on a constant the folded constant (the literal it replaces is the last node). */
static int32_t gate(Parser *p, int32_t op, int32_t a, int32_t b, int32_t start, int32_t end) {
    const Columns *c = p->out;
    int32_t constant = p->codes->constant;
    if (c->op[a] != constant || (b >= 0 && c->op[b] != constant)) return append(p, op, a, b, NAN, start, end);
    if (b >= 0 || (op != p->codes->unary[0] && op != p->codes->unary[1])) return OUTSIDE;
    double v = op == p->codes->unary[1] ? -c->given[a] : c->given[a];
    if (a == p->count - 1) p->count--;
    return append(p, constant, -1, -1, v, start, end);
}

/* ---- the two stacks ---- */

static int push_value(Parser *p, int32_t node, int32_t start, int32_t end) {
    if (node < 0) return 0;
    if (p->nvalues == p->cvalues) {
        Operand *grown = realloc(p->values, sizeof(Operand) * (p->cvalues *= 2));
        if (!grown) return 0;
        p->values = grown;
    }
    p->values[p->nvalues++] = (Operand){node, start, end};
    return 1;
}

static int push_entry(Parser *p, int32_t kind, int32_t op, int32_t start, int32_t rank) {
    if (p->nstack == p->cstack) {
        Entry *grown = realloc(p->stack, sizeof(Entry) * (p->cstack *= 2));
        if (!grown) return 0;
        p->stack = grown;
    }
    p->stack[p->nstack++] = (Entry){kind, op, start, rank};
    return 1;
}

/* Pop the top operator entry into a gate over the top one or two operands. */
static int reduce(Parser *p) {
    Entry e = p->stack[--p->nstack];
    if (e.kind == E_BIN) {
        Operand r = p->values[--p->nvalues], l = p->values[--p->nvalues];
        return push_value(p, gate(p, e.op, l.node, r.node, l.start, r.end), l.start, r.end);
    }
    Operand a = p->values[--p->nvalues];
    return push_value(p, gate(p, e.op, a.node, -1, e.start, a.end), e.start, a.end);
}

/* Reduce every operator entry above the innermost '(' or call (all of them with `rank` -1), or those
   binding at least as tightly as an incoming operator of precedence `rank`. */
static int reduce_above(Parser *p, int32_t rank, int32_t right) {
    while (p->nstack > 0) {
        const Entry *top = &p->stack[p->nstack - 1];
        if (top->kind > E_UN || (rank >= 0 && (top->rank < rank || (top->rank == rank && right)))) break;
        if (!reduce(p)) return 0;
    }
    return 1;
}

/* ---- expressions ---- */

static int operand_name(Parser *p, Token k) {
    const char *key = p->text + k.start;
    int32_t len = k.end - k.start, i = k.end;
    uint32_t h = hash_of(key, len);
    const Slot *s = lookup(p, key, len, h);
    while (i < p->len && (p->text[i] == ' ' || p->text[i] == '\t' || p->text[i] == '\f')) i++;
    if (i < p->len && p->text[i] == '(') { /* a call: the name must be a one-argument function */
        if (!s->len || s->value >= REJECT || ++p->depth > MAX_DEPTH) return 0;
        p->pos = i + 1;
        return push_entry(p, E_CALL, REJECT - 1 - s->value, k.start, p->nvalues);
    }
    if (s->len) return s->value >= 0 && push_value(p, s->value, k.start, k.end);
    int32_t node = append(p, p->codes->input, -1, -1, NAN, k.start, k.end);
    if (node < 0) return 0;
    p->out->name_at[node] = k.start, p->out->name_len[node] = len;
    return insert(p, k.start, len, h, node) && push_value(p, node, k.start, k.end);
}

static int operand(Parser *p, Token k) {
    switch (k.kind) {
    case T_NAME: return operand_name(p, k);
    case T_NUM: return push_value(p, literal(p, k), k.start, k.end);
    case T_OPEN: return ++p->depth <= MAX_DEPTH && push_entry(p, E_PAREN, -1, k.start, p->nvalues);
    case T_SYM:
        if (k.sym != SYM_ADD && k.sym != SYM_SUB) return 0;
        return push_entry(p, E_UN, p->codes->unary[k.sym == SYM_SUB], k.start, p->codes->unary_precedence);
    default: return 0;
    }
}

static int close(Parser *p, Token k) {
    if (!reduce_above(p, -1, 0) || p->nstack == 0) return 0;
    Entry e = p->stack[--p->nstack];
    p->depth--;
    Operand *top = &p->values[p->nvalues - 1];
    if (e.kind == E_PAREN) { /* the operand's span takes in its parentheses */
        if (p->nvalues != e.rank + 1) return 0;
        top->start = e.start, top->end = k.end;
        return 1;
    }
    if (p->nvalues != e.rank + 1) return 0; /* one argument, exactly */
    p->nvalues--;
    return push_value(p, gate(p, e.op, top->node, -1, e.start, k.end), e.start, k.end);
}

/* One expression up to the end of its statement: its root node, or -1 (p->full says why). */
static int32_t expression(Parser *p) {
    int expect = 1, ok = 1;
    p->nvalues = p->nstack = p->depth = 0;
    for (;;) {
        Token k = next(p);
        if (k.kind == T_NEWLINE && p->depth > 0) continue;
        if (k.kind == T_END || k.kind == T_NEWLINE) break;
        if (expect) {
            int32_t before = p->nvalues;
            ok = operand(p, k);
            expect = p->nvalues == before;
        } else if (k.kind == T_SYM) {
            int32_t prec = p->codes->precedence[k.sym];
            ok = reduce_above(p, prec, p->codes->right[k.sym]);
            ok = ok && push_entry(p, E_BIN, p->codes->binary[k.sym], k.start, prec);
            expect = 1;
        } else
            ok = k.kind == T_CLOSE && close(p, k);
        if (!ok) return -1;
    }
    if (expect || !reduce_above(p, -1, 0) || p->nstack > 0) return -1;
    return p->values[0].node;
}

/* ---- statements ---- */

/* Bind a statement's value to its name: a constant becomes an input spanning the name; a gate made
   by this statement takes the name; anything else (a name read alone) gets a copy gate. */
static int define(Parser *p, Token target, uint32_t h, int32_t root) {
    Columns *c = p->out;
    int32_t len = target.end - target.start;
    if (c->op[root] == p->codes->constant) {
        c->op[root] = p->codes->input;
        c->start[root] = target.start, c->end[root] = target.end;
    } else {
        if (c->name_at[root] >= 0 || c->arg0[root] < 0 || root != p->count - 1)
            root = append(p, p->codes->copy, root, -1, NAN, c->start[root], c->end[root]);
        if (root < 0) return 0;
        p->last = root;
    }
    c->name_at[root] = target.start, c->name_len[root] = len;
    return insert(p, target.start, len, h, root);
}

/* NAME = expression. A name defined before, read before, or read on its own right-hand side is an
   error in ours; a name that could be a gradient claim (d..., four characters or more) is outside. */
static int statement(Parser *p, Token target) {
    const char *key = p->text + target.start;
    int32_t len = target.end - target.start;
    if (target.kind != T_NAME || next(p).kind != T_EQUALS || (key[0] == 'd' && len >= 4)) return 0;
    uint32_t h = hash_of(key, len);
    if (lookup(p, key, len, h)->len) return 0;
    int32_t root = expression(p);
    if (root < 0 || lookup(p, key, len, h)->len) return 0;
    return define(p, target, h, root);
}

static int run(Parser *p) {
    for (;;) {
        Token k = next(p);
        if (k.kind == T_END) return p->last >= 0; /* ours: a program with no gate has no output */
        if (k.kind != T_NEWLINE && !statement(p, k)) return 0;
    }
}

/* The special names, one per line, each with its entry (REJECT, or a one-argument function's code). */
static int specials(Parser *p, const int32_t *values) {
    const char *name = p->specials;
    for (int32_t i = 0; *name; i++) {
        const char *stop = strchr(name, '\n');
        int32_t len = stop ? (int32_t)(stop - name) : 0, value = values[i] < 0 ? REJECT : REJECT - 1 - values[i];
        if (!len || !insert(p, -1 - (int32_t)(name - p->specials), len, hash_of(name, len), value)) return 0;
        name = stop + 1;
    }
    return 1;
}

/* The node count, -1 for a text outside the subset, -2 when `out` has too few rows. */
int parse(const char *text, int32_t len, const Codes *codes, const char *names, const int32_t *values, Columns *out) {
    Parser p = {.text = text, .specials = names, .len = len, .last = -1, .codes = codes, .out = out};
    p.mask = 63, p.cvalues = p.cstack = 256;
    p.slots = calloc(p.mask + 1, sizeof(Slot));
    p.values = malloc(sizeof(Operand) * p.cvalues);
    p.stack = malloc(sizeof(Entry) * p.cstack);
    int ok = len <= MAX_INPUT && p.slots && p.values && p.stack && specials(&p, values) && run(&p);
    free(p.slots), free(p.values), free(p.stack);
    return ok ? p.count : p.full ? TOO_SMALL : OUTSIDE;
}
