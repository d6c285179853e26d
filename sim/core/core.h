/*
 * core.h — the whole public face of sim/core: status codes and errors, the
 * counted allocator, physical quantities and knobs, the discrete-event engine,
 * random-number streams and online statistics.
 *
 * core knows nothing of radios, compute or neural networks; every other
 * folder of sim/ builds on it. Times are seconds of simulated time (double),
 * every quantity is SI, and every function that can fail returns an
 * enum core_rc (0 = CORE_OK) with results through out-parameters.
 */
#ifndef COINFER_CORE_H
#define COINFER_CORE_H

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ======================================================================== */
/* Status codes and errors (err.c)                                           */
/* ======================================================================== */

/* Everything that can fail says so with one of these. Each maps to one exit
 * code of the coinfer binary (core_rc_exit_code). */
enum core_rc {
    CORE_OK = 0,
    CORE_E_INPUT,       /* a user's file or value is wrong: exit 2 */
    CORE_E_USAGE,       /* a command line is wrong: exit 2 */
    CORE_E_NOMEM,       /* an allocation failed: exit 1 */
    CORE_E_IO,          /* the OS refused a read or write: exit 1 */
    CORE_E_DB,          /* the results database failed: exit 1 */
    CORE_E_RUNTIME,     /* a model reached a state it cannot go on from: exit 1 */
    CORE_E_INTERRUPTED, /* SIGINT/SIGTERM stopped a run: exit 1 */
    CORE_RC_COUNT
};

/* The last error: code, origin (the function that raised it) and message.
 * Callers own one (usually on the stack) and pass it down; the message is
 * what the user reads, `FILE:LINE: what is wrong` for bad input. */
struct core_err {
    enum core_rc rc;    /* CORE_OK while nothing failed */
    const char *origin; /* function that raised it (static string) */
    char msg[1024];     /* human-readable, no trailing newline */
};

/* Record rc, origin and a printf-style message in *e (which may be NULL) and
 * return rc. Use as `return core_err(e, CORE_E_INPUT, "%s:%d: ...", f, l);`.
 * Every error passes through core_err_at: one breakpoint catches them all. */
enum core_rc core_err_at(struct core_err *e, enum core_rc rc, const char *origin,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define core_err(e, rc, ...) core_err_at((e), (rc), __func__, __VA_ARGS__)

/* Like core_err_at with a va_list. */
enum core_rc core_verr_at(struct core_err *e, enum core_rc rc, const char *origin,
                          const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* Copy the message src into dst (dst_size bytes, NUL included) so that its
 * reason survives: when it does not fit, every word (run of non-blanks)
 * longer than 2k + 3 bytes becomes its first k bytes, "..." and its last k
 * bytes, k as large as fits (120 down to 12); only then is the end cut,
 * marked "...". core_err does this to every message. */
void core_elide(char *dst, size_t dst_size, const char *src);

/* Reset *e to "no error". */
void core_err_clear(struct core_err *e);

/* Stable lower-case name of a code ("input", "nomem", ...). */
const char *core_rc_name(enum core_rc rc);

/* Process exit code for rc: 0 for CORE_OK, 2 for input/usage, 1 otherwise. */
int core_rc_exit_code(enum core_rc rc);

/* Broken invariants: checked in every build (not compiled out by NDEBUG);
 * prints file, line and the condition to stderr and aborts. */
#define CORE_ASSERT(cond) \
    ((cond) ? (void)0 : core_panic(__FILE__, __LINE__, #cond))
_Noreturn void core_panic(const char *file, int line, const char *what);

/* ======================================================================== */
/* Counted allocator with fault injection (alloc.c)                          */
/* ======================================================================== */

/* All of coinfer's heap memory goes through these. They count live blocks so
 * tests can check that nothing leaked, and core_alloc_fail_after() makes the
 * k-th next allocation fail so tests can walk every out-of-memory path.
 * core_malloc(0) returns a unique non-NULL pointer; core_free(NULL) is a no-op.
 * Not thread-safe: coinfer's simulation is single-threaded. */
void *core_malloc(size_t size_bytes);
void *core_calloc(size_t n, size_t size_bytes);
void *core_realloc(void *p, size_t size_bytes); /* p may be NULL */
/* align_bytes is a power of two >= sizeof(void *); free with core_free. */
void *core_aligned_alloc(size_t align_bytes, size_t size_bytes);
char *core_strdup(const char *s);
void core_free(void *p);

/* Number of blocks allocated and not yet freed. */
long core_alloc_live(void);
/* Total number of successful allocations since start (for "no allocation on
 * the hot path" tests: read before and after). */
unsigned long core_alloc_count(void);
/* Make the k-th allocation from now fail (k = 1: the next one); k = 0 turns
 * fault injection off. Only one failure is injected per call. */
void core_alloc_fail_after(unsigned long k);

/* ======================================================================== */
/* Physical quantities (units.c)                                             */
/* ======================================================================== */

/* The physical dimension of a value. Scenario files may write a value with a
 * unit ("500 ms", "3.5 GHz", "100 kB"); a bare number is in the SI unit of its
 * dimension (the unit named in core_dim_si_unit). */
enum core_dim {
    CORE_DIM_NONE,      /* a pure number (count, ratio, probability) */
    CORE_DIM_TIME,      /* s: s, ms, us, ns, min, h */
    CORE_DIM_FREQUENCY, /* Hz (also event rates): Hz, kHz, MHz, GHz, /s */
    CORE_DIM_LENGTH,    /* m: m, km, cm, mm */
    CORE_DIM_SPEED,     /* m/s: m/s, km/h */
    CORE_DIM_POWER,     /* W: W, mW, kW */
    CORE_DIM_POWER_DBM, /* dBm: dBm (a level, not a linear power) */
    CORE_DIM_DB,        /* dB: dB (a ratio in decibels) */
    CORE_DIM_ENERGY,    /* J: J, mJ, kJ, Wh, mWh */
    CORE_DIM_BYTES,     /* bytes: B, kB, MB, GB, KiB, MiB, GiB */
    CORE_DIM_BITRATE,   /* bit/s: bit/s, bps, kbit/s, kbps, Mbit/s, Mbps, Gbit/s, Gbps, and
                           bytes per second B/s, kB/s, MB/s, GB/s (x 8; decimal prefixes) */
    CORE_DIM_FLOPS,     /* FLOP/s: FLOPS, GFLOPS, TFLOPS, TOPS */
    CORE_DIM_COUNT
};

/* SI unit of a dimension as it appears in documentation ("s", "Hz", ...). */
const char *core_dim_si_unit(enum core_dim dim);
/* Human name of a dimension ("time", "frequency", ...). */
const char *core_dim_name(enum core_dim dim);

/* Parse "<number>[ ]<unit>" of dimension dim into SI units. On failure returns
 * CORE_E_INPUT and writes why into why[why_size] (no file/line: the caller
 * adds them), e.g. "'5 m' has unit 'm' (a length), expected a time (s, ms, ...)". */
enum core_rc core_quantity_parse(const char *text, enum core_dim dim, double *si_out,
                                 char *why, size_t why_size);

/* ======================================================================== */
/* Knobs: every tunable declared once, next to its module (knob.c)           */
/* ======================================================================== */

enum core_knob_kind {
    CORE_KNOB_REAL,   /* double, with a dimension */
    CORE_KNOB_INT,    /* long */
    CORE_KNOB_UINT64, /* uint64_t (seeds) */
    CORE_KNOB_BOOL,   /* bool: true/false/1/0 */
    CORE_KNOB_ENUM,   /* int: index into choices */
    CORE_KNOB_STRING, /* char[CORE_KNOB_STRING_MAX] */
    CORE_KNOB_KIND_COUNT
};

#define CORE_KNOB_STRING_MAX 256

/* One attribute of one scenario element. A module declares a const table of
 * these for each element it reads; the scenario loader fills the module's
 * config struct from it (at `offset`), --help and the XSD documentation are
 * checked against it by a test. */
struct core_knob {
    const char *name;            /* attribute name in the scenario file */
    enum core_knob_kind kind;    /* how to parse it */
    enum core_dim dim;           /* for REAL: its dimension (units accepted) */
    const char *def;             /* default as written in a file; NULL = required */
    double min, max;             /* valid range in SI units, inclusive */
    const char *const *choices;  /* for ENUM: NULL-terminated list of names */
    size_t offset;               /* offsetof(config struct, field) */
    const char *help;            /* one sentence for documentation */
};

/* An element: its name and its attribute table. */
struct core_knob_table {
    const char *element;          /* element name in the scenario file */
    const struct core_knob *knobs;
    size_t n_knobs;
};

/* Set every knob that has a default in config (the struct the table's offsets
 * point into). Returns CORE_E_INPUT if a default does not parse (a bug in the
 * table, caught by the tests). */
enum core_rc core_knobs_defaults(const struct core_knob_table *t, void *config,
                                 struct core_err *e);

/* Parse text for knob k and store it into config. On failure returns
 * CORE_E_INPUT with why[] saying what is wrong and, for ranges, the valid
 * range (no file/line: the caller adds them). */
enum core_rc core_knob_set(const struct core_knob *k, const char *text, void *config,
                           char *why, size_t why_size);

/* Write knob k's value in config as text that core_knob_set reads back to
 * the very same value: a REAL as the shortest exact number in its SI unit
 * (no unit written: a bare number is SI), INT and UINT64 as digits, BOOL as
 * true or false, ENUM as its name, STRING as it is. The canonical form of a
 * configuration (two configs with equal values write equal texts). */
void core_knob_format(const struct core_knob *k, const void *config, char *buf, size_t size);

/* Find a knob by attribute name in a table; NULL if absent. */
const struct core_knob *core_knob_find(const struct core_knob_table *t, const char *name);

/* Write the shortest "%g" form of x that reads back exactly into buf[size],
 * the exponent written plainly ("1e-9", "1e12", not "1e-09" or "1e+12"): how
 * knob ranges are shown in messages and in the XSD documentation. */
void core_format_shortest(double x, char *buf, size_t size);

/* ======================================================================== */
/* The discrete-event engine (engine.c, eventq.c)                            */
/* ======================================================================== */

/* Events are ordered by (time_s, priority, insertion sequence): equal times
 * pop in priority order (lower first), equal priorities in the order they were
 * scheduled. Ties are therefore deterministic.
 *
 * An event is 32 bytes and lives in the engine's event pool (a preallocated
 * array that grows geometrically only when more events are pending than ever
 * before): scheduling never calls malloc in steady state. */

struct core_engine;

/* Identity of a scheduled event, for cancellation; unique within one engine.
 * 0 is never a valid id. */
typedef uint64_t core_event_id;

/* What an event carries to its handler: 8 bytes, interpreted by the handler. */
union core_payload {
    void *ptr;
    uint64_t u64;
    int64_t i64;
    double f64;
    uint32_t u32[2];
};

struct core_event {
    double time_s;            /* when it fires, simulated seconds */
    uint64_t order;           /* priority (high 8 bits) and sequence (low 56) */
    uint32_t entity;          /* target entity (index from core_engine_add_entity) */
    uint16_t kind;            /* handler index in the entity type's table */
    uint16_t reserved;        /* zero */
    union core_payload data;  /* handler-defined */
};
static_assert(sizeof(struct core_event) == 32, "events are 32 bytes");

/* A handler: state is the entity's state pointer, ev the event (valid only
 * during the call), eng the engine (to read the clock and schedule). Handlers
 * never allocate, block or do I/O. */
typedef void (*core_handler_fn)(void *state, const struct core_event *ev,
                                struct core_engine *eng);

/* An entity type: a name and a const table of handlers indexed by kind. */
struct core_entity_type {
    const char *name;                 /* for traces and errors */
    const core_handler_fn *handlers;  /* handlers[kind] */
    uint16_t n_handlers;
};

/* Why core_engine_run returned. */
enum core_stop {
    CORE_STOP_EMPTY,     /* no event left */
    CORE_STOP_TIME,      /* the next event is after the time limit */
    CORE_STOP_COUNT,     /* the event-count limit was reached */
    CORE_STOP_REQUESTED, /* core_engine_request_stop or the stop flag */
    CORE_STOP_FAILED,    /* a handler called core_engine_fail */
};

/* Create an engine with room for initial_events pending events (0 = a small
 * default; the pool grows as needed). Returns NULL on allocation failure. */
struct core_engine *core_engine_create(size_t initial_events);
void core_engine_destroy(struct core_engine *eng); /* NULL is a no-op */

/* Make room for n pending events now so that the run never grows the pool. */
enum core_rc core_engine_reserve(struct core_engine *eng, size_t n);

/* Register an entity type (borrowed: must outlive the engine). Returns its
 * index, or -1 on allocation failure. Registering the same type again returns
 * the index it already has. */
int core_engine_register_type(struct core_engine *eng, const struct core_entity_type *type);

/* Add an entity of a registered type with its state (borrowed). Returns its
 * index (the value of core_event.entity), or UINT32_MAX on allocation failure. */
uint32_t core_engine_add_entity(struct core_engine *eng, int type, void *state);

/* Schedule an event at absolute time at_s (>= now) for entity with handler
 * kind and priority (0..255, lower pops first on ties). Returns its id, or 0
 * if the pool could not grow (the engine is then failed with CORE_E_NOMEM). */
core_event_id core_schedule_at(struct core_engine *eng, double at_s, uint32_t entity,
                               uint16_t kind, uint8_t priority, union core_payload data);
/* The same, delay_s (>= 0) after now. */
core_event_id core_schedule_in(struct core_engine *eng, double delay_s, uint32_t entity,
                               uint16_t kind, uint8_t priority, union core_payload data);

/* Cancel a pending event: it will not fire, and core_cancel returns true.
 * O(1) amortized: the engine records the id, not where the event sits, so it
 * cannot tell cheaply whether an event that is not pending ever was.
 * Contract: pass only the id of a pending event, i.e. clear a stored id when
 * its event fires or is cancelled. Returns false for 0, for an id this engine
 * never issued and for the event whose handler is running (or ran last). For
 * an event that already fired or was already cancelled, the call changes no
 * event and is harmless, but it may return true, and core_engine_pending may
 * count one event too few until the engine next compacts its pool (after at
 * most max(64, pending / 4) further cancels). */
bool core_cancel(struct core_engine *eng, core_event_id id);

/* Limits of one core_engine_run call; zero fields mean "no limit". */
struct core_run_limits {
    double until_s;        /* stop before the first event later than this (0: none) */
    bool has_until;        /* until_s is set (so 0 s can be a limit) */
    uint64_t max_events;   /* stop after this many events in this call (0: none) */
    volatile int *stop_flag; /* polled often; nonzero stops the run (signals) */
};

/* Run events in order until a limit. Returns why it stopped; the clock is left
 * at the last event run (or at until_s when it stopped on time). */
enum core_stop core_engine_run(struct core_engine *eng, const struct core_run_limits *lim);

/* From a handler: stop the run after this event. */
void core_engine_request_stop(struct core_engine *eng);
/* From a handler: the model cannot go on; run returns CORE_STOP_FAILED and
 * core_engine_error gives rc and message. */
void core_engine_fail(struct core_engine *eng, enum core_rc rc, const char *msg);
const struct core_err *core_engine_error(const struct core_engine *eng);

double core_engine_now(const struct core_engine *eng);
/* The event being handled (NULL outside handlers). */
const struct core_event *core_engine_current(const struct core_engine *eng);
uint64_t core_engine_events_run(const struct core_engine *eng); /* all calls */
size_t core_engine_pending(const struct core_engine *eng);      /* live, uncancelled */
size_t core_engine_pool_capacity(const struct core_engine *eng);
/* Time of the next pending event, or INFINITY when none. */
double core_engine_next_time(struct core_engine *eng);

/* ======================================================================== */
/* Random-number streams (rng.c, dist.c)                                     */
/* ======================================================================== */

/* One stream per (seed, entity, purpose): the stream's state is derived from
 * the three by a hash, so adding an entity or a purpose never shifts another
 * stream's draws and two policies run on one seed see the same world. */

/* What a stream is for. New purposes are appended (never reordered: the
 * number is part of the stream's identity). */
enum core_rng_purpose {
    CORE_RNG_ARRIVALS,
    CORE_RNG_SERVICE,
    CORE_RNG_FADING,
    CORE_RNG_SHADOWING,
    CORE_RNG_MOBILITY,
    CORE_RNG_PLACEMENT,
    CORE_RNG_EXPLORATION,
    CORE_RNG_POLICY,
    CORE_RNG_WEIGHTS,
    CORE_RNG_BENCH,
    CORE_RNG_JITTER,     /* compute-time jitter of a UE's layers */
    CORE_RNG_BACKGROUND, /* background work at an edge resource */
    CORE_RNG_INPUT,      /* real-mode input data of a UE */
    CORE_RNG_DROPOUT,    /* dropout masks of a model in training (sim/nn/train.c) */
    CORE_RNG_SHUFFLE,    /* the order of a training epoch's items (sim/nn/fit.c) */
    CORE_RNG_AUGMENT,    /* random flips and shifts of training images (sim/nn/fit.c) */
    CORE_RNG_HARQ,       /* HARQ retransmissions of a UE's transfers (sim/radio/access.c) */
    CORE_RNG_CORRECT,    /* costed mode: whether a UE's inferences come out correct */
    CORE_RNG_PURPOSE_COUNT
};

/* Whose stream it is. An entity id is namespaced by kind,
 *   (kind << 56) | (sub << 32) | index,
 * so that no two entities of a simulation share an id (and, with the
 * purpose, a stream): a UE's, a cell's and a layer's streams never
 * coincide however many there are. New kinds are appended (never
 * reordered: the number is part of the stream's identity). */
enum core_rng_entity_kind {
    CORE_RNG_ENTITY_UE,    /* a UE, index: its number in the world (radio, protocol and queue
                              see the same UE); sub: 0 for the UE's own streams, j for its
                              protocol workload j, CORE_RNG_UE_RADIO_TRAFFIC */
    CORE_RNG_ENTITY_CELL,  /* a cell and its network device, index: the cell; sub: its edge
                              resource instance */
    CORE_RNG_ENTITY_LAYER, /* a model's layer, index: the layer; sub 0 */
    CORE_RNG_ENTITY_KIND_COUNT
};

#define CORE_RNG_SUB_MAX 0xFFFFFFu          /* the largest sub (24 bits) */
#define CORE_RNG_UE_RADIO_TRAFFIC 0xFFFFFFu /* sub: the radio world's own traffic of a UE */

/* The id of entity index (sub-stream sub, at most CORE_RNG_SUB_MAX) of kind. */
uint64_t core_rng_entity(enum core_rng_entity_kind kind, uint32_t index, uint32_t sub);

struct core_rng;

/* Create the stream for (seed, entity, purpose), entity from
 * core_rng_entity. NULL on allocation failure. */
struct core_rng *core_rng_create(uint64_t seed, uint64_t entity, enum core_rng_purpose purpose);
void core_rng_destroy(struct core_rng *r); /* NULL is a no-op */

uint64_t core_rng_u64(struct core_rng *r);        /* uniform on [0, 2^64) */
double core_rng_uniform(struct core_rng *r);      /* uniform on (0, 1): never 0 or 1 */
double core_rng_uniform_in(struct core_rng *r, double lo, double hi); /* on (lo, hi) */
uint64_t core_rng_below(struct core_rng *r, uint64_t n); /* uniform integer in [0, n), n > 0 */

double core_rng_exponential(struct core_rng *r, double mean);
double core_rng_normal(struct core_rng *r, double mean, double sd);
/* Log-normal whose logarithm has mean mu and standard deviation sigma. */
double core_rng_lognormal(struct core_rng *r, double mu, double sigma);
/* Rayleigh amplitude with scale sigma (mean power 2 sigma^2). */
double core_rng_rayleigh(struct core_rng *r, double sigma);
/* Rician amplitude: LOS amplitude nu, scatter scale sigma (K = nu^2 / 2 sigma^2). */
double core_rng_rician(struct core_rng *r, double nu, double sigma);
uint64_t core_rng_poisson(struct core_rng *r, double mean);

/* ======================================================================== */
/* Online statistics (stats.c)                                               */
/* ======================================================================== */

/* Mean, variance, min and max of a stream of values (Welford), O(1) memory. */
struct core_stats {
    uint64_t n;    /* values seen */
    double mean;   /* running mean */
    double m2;     /* sum of squared deviations from the mean */
    double min, max;
};
void core_stats_init(struct core_stats *s);
void core_stats_add(struct core_stats *s, double x);
/* Combine b into a (parallel Welford). */
void core_stats_merge(struct core_stats *a, const struct core_stats *b);
double core_stats_variance(const struct core_stats *s); /* sample variance (n-1) */
double core_stats_sd(const struct core_stats *s);

/* Streaming quantile over a whole run, O(1) memory: the P-square algorithm
 * (Jain & Chlamtac 1985) for one probability p. */
struct core_p2 {
    double p;            /* the quantile's probability, 0 < p < 1 */
    uint64_t n;          /* values seen */
    double q[5];         /* marker heights */
    double pos[5];       /* marker positions (1-based) */
    double want[5];      /* desired positions */
    double dwant[5];     /* increments of desired positions */
};
void core_p2_init(struct core_p2 *q, double p);
void core_p2_add(struct core_p2 *q, double x);
double core_p2_value(const struct core_p2 *q); /* NAN before the first value */

/* Exact quantiles over a sliding window of the last `capacity` values. */
struct core_window;
struct core_window *core_window_create(size_t capacity); /* NULL on failure */
void core_window_destroy(struct core_window *w);
void core_window_add(struct core_window *w, double x);
size_t core_window_count(const struct core_window *w);
double core_window_mean(const struct core_window *w);
/* Quantile p in [0, 1] of the values in the window (linear interpolation
 * between order statistics, R type 7); NAN when empty. Uses the window's own
 * scratch buffer: no allocation. */
double core_window_quantile(struct core_window *w, double p);

/* Quantile p of an array already sorted ascending, R type 7; NAN when n == 0. */
double core_quantile_sorted(const double *sorted, size_t n, double p);
void core_sort_doubles(double *x, size_t n);

/* Batch means: the mean of a correlated series with a confidence interval.
 * Splits x[0..n) into n_batches equal batches (the remainder is dropped at the
 * start) and returns the grand mean and the half-width of the confidence
 * interval at `level` (e.g. 0.95) from Student's t on the batch means. */
enum core_rc core_batch_means(const double *x, size_t n, size_t n_batches, double level,
                              double *mean_out, double *half_width_out);

/* ======================================================================== */
/* SHA-256 (sha256.c), FIPS 180-4                                            */
/* ======================================================================== */

/* Fingerprints of files and configurations (the results database keys runs
 * and configurations by them). Feed bytes in any pieces; the digest depends
 * only on their concatenation. */
struct core_sha256 {
    uint32_t h[8];     /* chaining state */
    uint64_t n_bytes;  /* bytes hashed so far */
    uint8_t block[64]; /* pending input, n_bytes % 64 of it filled */
};

void core_sha256_init(struct core_sha256 *s);
void core_sha256_update(struct core_sha256 *s, const void *data, size_t n_bytes);
/* Finish and write the digest as 64 lower-case hex digits and a NUL. */
void core_sha256_final_hex(struct core_sha256 *s, char hex[65]);

/* ======================================================================== */
/* Input files (file.c)                                                      */
/* ======================================================================== */

/* The largest file of each kind coinfer reads, bytes (documented in the
 * README, "Reliability"): far above any real one, so that a wrong path
 * fails at once instead of filling memory. */
#define CORE_FILE_MAX_SCENARIO (16u << 20)         /* a scenario file: 16 MiB */
#define CORE_FILE_MAX_MODEL (64u << 20)            /* a model file: 64 MiB */
#define CORE_FILE_MAX_WEIGHTS ((uint64_t)4 << 30)  /* a weights file: 4 GiB */
#define CORE_FILE_MAX_DATASET ((uint64_t)1 << 30)  /* a dataset file (IDX): 1 GiB */
#define CORE_FILE_MAX_TABLE (64u << 20)            /* a CSV a command reads: 64 MiB */
#define CORE_FILE_MAX_AGENT ((uint64_t)1 << 30)    /* an agent file: 1 GiB */

/* Open the file at path for reading as a `what` ("model file") of at most
 * max_bytes: a regular file only (a directory, FIFO, device or socket is
 * refused without blocking: the open does not wait for a FIFO's writer).
 * *f_out is returned owned (fclose), *size_out its size in bytes (may be
 * NULL). CORE_E_INPUT "PATH:0: why" for a missing, unreadable, non-regular
 * or too large file; CORE_E_NOMEM. A reader must still stop at max_bytes
 * (the file may grow while it is read). */
enum core_rc core_file_open(const char *path, const char *what, uint64_t max_bytes, FILE **f_out,
                            uint64_t *size_out, struct core_err *e);

/* ======================================================================== */
/* Start-up (init.c)                                                         */
/* ======================================================================== */

/* Convert third-party error regimes at the border: GSL's default handler
 * aborts the process; after core_init it returns error codes instead. Call
 * once at program start (the CLI, each test and bench program). */
void core_init(void);

/* ======================================================================== */
/* Vector kernels (cpu.c)                                                    */
/* ======================================================================== */

/* Whether the AVX2 copies of the vector kernels run: x86-64 with AVX2,
 * unless the tests turned them off to check the baseline copies (which give
 * the same bits). */
bool core_cpu_avx2(void);
void core_cpu_avx2_off(bool off);

/* ======================================================================== */
/* Wall clock (clock.c)                                                      */
/* ======================================================================== */

/* Monotonic wall-clock seconds (for progress and benchmarks, never for the
 * simulation itself). */
double core_wall_s(void);

/* ---- numbers as text (numtext.c) ------------------------------------------ */

/* x (finite) as text into buf (room for CORE_NUM_TEXT_MAX, no NUL written):
 * integers below 1e15 exactly, other numbers to 9 significant digits (what
 * a float needs to read back the same: strtof gives back (float)x), plain
 * for decimal exponents -5..8 and as d.ddde+XX beyond, trailing zeros
 * dropped. Returns the length. */
#define CORE_NUM_TEXT_MAX 32
size_t core_num_text(double x, char *buf);

#endif /* COINFER_CORE_H */
