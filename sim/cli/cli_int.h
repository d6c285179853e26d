/*
 * cli_int.h — shared between the files of sim/cli only: one entry point per
 * subcommand and the progress bar.
 *
 * Each subcommand takes (argc, argv) with argv[0] its own name and returns a
 * process exit code (0 success, 1 runtime failure, 2 bad input or usage).
 */
#ifndef COINFER_CLI_INT_H
#define COINFER_CLI_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"

int cli_run(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_radio(int argc, char **argv);
int cli_profile(int argc, char **argv);
int cli_regret(int argc, char **argv);
int cli_train(int argc, char **argv);
int cli_train_model(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_infer(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_plot(int argc, char **argv);
int cli_accuracy(int argc, char **argv);

/* What `coinfer accuracy MODEL --exits` measures (cmd_accuracy_exits.c). */
struct cli_exits_options {
    const char *model;                 /* MODEL: a model file with <exit> elements */
    const char *weights;               /* --weights, with the exits' tensors */
    const char *db;                    /* --db, NULL: none */
    const char *dir;                   /* the Fashion-MNIST directory */
    size_t limit;                      /* the first N test items, 0: all */
    int threads;                       /* 1 .. cores */
    bool quiet;                        /* no progress bar */
    int confidence;                    /* enum nn_conf_kind */
    const char *thresholds;            /* --thresholds LIST as given, NULL: the default grid */
};
/* Measure, print and store the cascade per threshold; an exit code. */
int cli_accuracy_exits(const struct cli_exits_options *o);

struct nn_model;
struct nn_exits;
/* MODEL of train-model and accuracy (model_arg.c): a model file's graph or
 * a zoo model's, unfinalized, at its file's batch size (a zoo model's at
 * 1), in *out (owned), and when exits is not NULL the file's early exits
 * (unfinalized; empty for a zoo model or a file without them; the caller
 * nn_exits_fini's it). Returns an exit code: 0, or 2 (message printed,
 * "coinfer COMMAND: ..." for an unknown name) for a bad model. */
int cli_load_graph(const char *command, const char *arg, struct nn_model **out);
int cli_load_graph_exits(const char *command, const char *arg, struct nn_model **out,
                         struct nn_exits *exits);
/* Load the weights file at path into finalized model m, whose model file
 * declared exits (borrowed; empty for none): their branches' tensors are
 * checked and dropped, so that a model with exits runs as its main model.
 * An exit code (0, or cli_fail's). */
int cli_load_weights(struct nn_model *m, const struct nn_exits *exits, const char *path);

struct run_assembly;
struct run_options;
/* `coinfer run` on a collaborative scenario (cmd_run_collab.c): policy NULL
 * is the default, "all" runs every policy on the seed; opt's db, trace, stop
 * flag and version are set by the caller. Returns the exit code. */
int cli_run_collab(const struct run_assembly *a, const char *policy, struct run_options *opt,
                   bool quiet);

/* The knob overrides of a command line (sets.c): every --set PATH=VALUE and
 * --seed N (as simulation@seed=N), in the order given, for
 * io_scenario_load. */
struct cli_sets {
    const char **v;     /* [n] (owned array; the strings are argv's or seed_text) */
    size_t n;           /* overrides */
    char seed_text[48]; /* "simulation@seed=N" of --seed ("": none) */
};
/* Room for argc overrides; false (message printed) when out of memory. */
bool cli_sets_init(struct cli_sets *s, int argc, const char *command);
void cli_sets_fini(struct cli_sets *s);
void cli_sets_add(struct cli_sets *s, const char *assignment);
/* --seed N: false (usage message printed) when N is not in [0, 2^64-1]. */
bool cli_sets_seed(struct cli_sets *s, const char *value, const char *command);

/* The binary's version (git describe at build time). */
const char *cli_version(void);

/* Set to 1 by SIGINT or SIGTERM once cli_install_signals has run: the stop
 * flag a run's engine polls (struct core_run_limits.stop_flag). */
extern volatile int cli_stop_requested;
/* SIGINT and SIGTERM set cli_stop_requested; a second one kills at once. */
void cli_install_signals(void);

/* Number options (number_option.c), the one parser every command uses.
 * cli_parse_u64: decimal digits alone (no sign, no space), in [0, 2^64-1];
 * false, printing nothing, otherwise (for the parts of compound options).
 * The others read option's value text into *out when it is in range, or
 * print "coinfer COMMAND: OPTION takes ... from LO to HI, not 'TEXT' (see
 * coinfer COMMAND --help)" and return false (a usage error: exit 2):
 * cli_whole_option a whole number in [lo, hi]; cli_real_option a finite
 * number in [lo, hi]; cli_positive_option a finite number > 0;
 * cli_threads_option --threads, a whole number from 1 to the online cores. */
bool cli_parse_u64(const char *s, uint64_t *out);
bool cli_whole_option(const char *command, const char *option, const char *text, uint64_t lo,
                      uint64_t hi, uint64_t *out);
bool cli_real_option(const char *command, const char *option, const char *text, double lo,
                     double hi, double *out);
bool cli_positive_option(const char *command, const char *option, const char *text, double *out);
bool cli_threads_option(const char *command, const char *text, int *out);

/* Print "coinfer COMMAND: message (see coinfer COMMAND --help)" on stderr,
 * the message formatted as printf's fmt; returns 2, a usage error's exit
 * code (usage_error.c). */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Check the value of --db (db_option.c): a name, not empty; a regular file
 * if it exists; else a file in an existing directory (or in results/, which
 * the database creates). false with "coinfer COMMAND: --db ..." printed
 * (a usage error: exit 2). */
bool cli_db_option(const char *command, const char *path);

/* Print "coinfer: message" for e on stderr and return its exit code. */
int cli_fail(const struct core_err *e);

/* Progress on stderr: a bar with percent of simulated time, events/s and ETA,
 * drawn only when stderr is a terminal, quiet is off and the run has taken
 * longer than a second. */
struct cli_progress {
    bool enabled;     /* stderr is a terminal and not --quiet */
    bool drawn;       /* something is on the line (needs a newline at the end) */
};
void cli_progress_init(struct cli_progress *p, bool quiet);
void cli_progress_update(void *ctx, double sim_now_s, double sim_end_s, uint64_t events,
                         double wall_s);
void cli_progress_finish(struct cli_progress *p);
/* The same bar for any long job: "TEXT [bar] pct  ETA ..." with frac (0..1)
 * of the job done after wall_s seconds, under the same conditions. */
void cli_progress_draw(struct cli_progress *p, double frac, const char *text, double wall_s);

#endif /* COINFER_CLI_INT_H */
