/* plab-manager.h: a server process holding shared objects that other
 * processes use through proxies, like Python's multiprocessing.Manager ().
 *
 * The manager keeps a dictionary of named 64-bit integers (a counter is one
 * key). Every proxy call is a round trip over the pipe protocol
 * (plab-pipe.h): a request frame to the server, a reply frame back, recorded
 * as a span "manager: add hits" on the caller's lane when a trace records.
 * The server runs one request at a time, so each call is atomic: concurrent
 * plab_proxy_add () calls lose no update, at the cost of two context
 * switches each.
 *
 * Make the manager before forking the processes that use it; give each
 * process its own proxy (plab_manager_proxy (mgr, i)), as Python gives each
 * its own connection: one proxy must not be used by two processes at once.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PlabManager PlabManager;
typedef struct PlabProxy PlabProxy;

#define PLAB_MANAGER_KEY_MAX 48   /* bytes of a key, NUL included */
#define PLAB_MANAGER_MAX_KEYS 256 /* keys one manager holds */

/* Forks the server with @n_proxies connections (1..64). Returns 0,
 * PLAB_EINVAL, PLAB_ENOMEM or PLAB_ESYS. */
int plab_manager_new (int n_proxies, PlabManager **out);

/* Closes this process's ends and, in the process that made it, waits for
 * the server to exit (it does once every process closed its ends) and reaps
 * it; a server still busy after a second is killed. */
void plab_manager_free (PlabManager *self);

/* The server's pid, and proxy @i (0 .. n_proxies - 1; owned by the manager). */
pid_t plab_manager_pid (const PlabManager *self);
PlabProxy *plab_manager_proxy (PlabManager *self, int i);

/* dict[key] += delta, starting from 0; *value (may be NULL) gets the new
 * value. Returns 0, PLAB_EINVAL (key too long), PLAB_EFULL (too many keys),
 * PLAB_ECLOSED (the server is gone) or PLAB_EPROTO. */
int plab_proxy_add (PlabProxy *proxy, const char *key, int64_t delta, int64_t *value);

/* dict[key] = value. Returns as plab_proxy_add (). */
int plab_proxy_set (PlabProxy *proxy, const char *key, int64_t value);

/* *value = dict[key]. Returns 0, PLAB_ENOTFOUND, or as plab_proxy_add (). */
int plab_proxy_get (PlabProxy *proxy, const char *key, int64_t *value);

#ifdef __cplusplus
}
#endif
