/* loader.c - a shard connection with its own thread running queued jobs (store_internal.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

typedef struct job {
    tx_loader_fn fn;
    void *ctx;
    struct job *next;
} job;

struct tx_loader {
    tx_conn *conn;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *head, *tail;
    int queued, running, depth, stop;
    tx_error err; /* the first failure */
};

static void *run(void *arg)
{
    tx_loader *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->head && !l->stop)
            pthread_cond_wait(&l->cv, &l->mu);
        if (!l->head)
            break;
        job *j = l->head;
        l->head = j->next;
        if (!l->head)
            l->tail = NULL;
        l->running = 1;
        int failed = l->err.status != TX_OK;
        pthread_mutex_unlock(&l->mu);
        tx_error e = {0};
        int rc = j->fn(failed ? NULL : l->conn, j->ctx, &e);
        free(j);
        pthread_mutex_lock(&l->mu);
        if (!failed && rc != TX_OK && l->err.status == TX_OK)
            l->err = e;
        l->running = 0;
        l->queued--;
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int tx_loader_start(const char *path, int index, int depth, tx_loader **out, tx_error *err)
{
    *out = NULL;
    tx_loader *l = calloc(1, sizeof *l);
    if (!l)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    int rc = tx_conn_open(path, index, &l->conn, err);
    if (rc != TX_OK) {
        free(l);
        return rc;
    }
    l->depth = depth < 1 ? 1 : depth;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    if (pthread_create(&l->thread, NULL, run, l) != 0) {
        tx_conn_close(&l->conn);
        free(l);
        return tx_error_set(err, TX_ERR, "shard %d: cannot start a loader thread", index);
    }
    *out = l;
    return TX_OK;
}

int tx_loader_submit(tx_loader *l, tx_loader_fn fn, void *ctx, tx_error *err)
{
    job *j = malloc(sizeof *j);
    if (!j) {
        fn(NULL, ctx, err);
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    }
    j->fn = fn;
    j->ctx = ctx;
    j->next = NULL;
    pthread_mutex_lock(&l->mu);
    while (l->queued >= l->depth && l->err.status == TX_OK)
        pthread_cond_wait(&l->cv, &l->mu);
    if (l->err.status != TX_OK) {
        tx_error e = l->err;
        pthread_mutex_unlock(&l->mu);
        free(j);
        fn(NULL, ctx, err);
        return tx_error_set(err, e.status, "%s", e.msg);
    }
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    l->queued++;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return TX_OK;
}

int tx_loader_wait(tx_loader *l, tx_error *err)
{
    pthread_mutex_lock(&l->mu);
    while (l->queued > 0)
        pthread_cond_wait(&l->cv, &l->mu);
    tx_error e = l->err;
    pthread_mutex_unlock(&l->mu);
    if (e.status != TX_OK)
        return tx_error_set(err, e.status, "%s", e.msg);
    return TX_OK;
}

void tx_loader_stop(tx_loader **lp)
{
    tx_loader *l = *lp;
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    tx_conn_close(&l->conn);
    free(l);
    *lp = NULL;
}
