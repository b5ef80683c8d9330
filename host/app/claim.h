/*
 * Claims on units of work shared by processes on one or many machines over a shared filesystem
 * (claim.c): the trials of a sweep taken by workers (exp_work.c). Nothing here relies on file
 * locks, which NFS may not carry between machines; only on link(2) failing when the name
 * exists, which is atomic there too.
 */
#ifndef SLEEPCL_CLAIM_H
#define SLEEPCL_CLAIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Seconds without a heartbeat after which another machine's claim is taken again: the value of
 * SCL_CLAIM_LEASE, else this. A holder beats SCL_CLAIM_BEATS times per lease. */
#define SCL_CLAIM_LEASE_DEFAULT 60.0
#define SCL_CLAIM_BEATS         6

/* A claim this process holds, kept alive by a heartbeat thread. */
struct scl_claim {
    char path[1024]; /* DIR/NAME.G */
    char next[1040]; /* DIR/NAME.G+1: exists once another process has taken the claim again */
    int fd;
    bool held;
    bool stop;
    uint64_t beat;
    char owner[160]; /* "host pid start wall": start in ticks since boot, wall in epoch s */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* What a process has seen of other processes' claims: a claim whose text has not changed for a
 * lease (timed on this machine's own clock, so clocks of other machines do not matter) is
 * stale. */
struct scl_claim_seen {
    char path[1024];
    char text[256];
    double since;
};
struct scl_claim_watch {
    struct scl_claim_seen *v;
    int n;
    double lease; /* seconds */
};

enum scl_claim_result {
    SCL_CLAIM_TAKEN, /* *c holds it now */
    SCL_CLAIM_BUSY,  /* a live process holds it */
    SCL_CLAIM_ERROR  /* printed */
};

/* The lease of this process (SCL_CLAIM_LEASE or the default); an invalid value is a usage
 * error, printed, and returns a negative number. */
double scl_claim_lease(void);
/* Take DIR/NAME: a file DIR/NAME.G created by link(2), where G is one more than the highest
 * generation that exists (0 when none). A claim that exists is taken again only when it is
 * stale: on this machine its process is gone; on another, its heartbeat stopped for a lease.
 * Two processes taking the same stale claim both try to create the same next generation and
 * only one succeeds. */
enum scl_claim_result scl_claim_take(const char *dir, const char *name, struct scl_claim_watch *w,
                                     struct scl_claim *c);
/* Whether another process has taken c again (its next generation exists): c's holder was taken
 * for dead, say stopped for longer than a lease, and must not write what the newer holder
 * writes. A holder checks it just before a write that is not idempotent. */
bool scl_claim_superseded(const struct scl_claim *c);
/* Stop the heartbeat and close (the file stays: its work is recorded elsewhere). */
void scl_claim_release(struct scl_claim *c);
/* The highest generation of DIR/NAME: its text ("host pid start wall beat now") and
 * whether it looks alive now (heartbeat within a lease by its file time, or a live process on
 * this machine); false when none exists. For status reports. */
bool scl_claim_peek(const char *dir, const char *name, double lease, char *text, size_t n,
                    bool *alive);
void scl_claim_watch_free(struct scl_claim_watch *w);
/* The owner a claim's text names: host (capacity 128), pid and the wall-clock second it was
 * taken. False when the text is not a claim's. */
struct scl_claim_owner {
    char host[128];
    long pid;
    unsigned long long start; /* the process's start, in ticks since boot */
    long long wall;           /* when the claim was taken, epoch s */
};
bool scl_claim_parse(const char *text, struct scl_claim_owner *o);
/* "host" of this machine, as claims record it. */
void scl_claim_host(char *buf, size_t n);

#endif
