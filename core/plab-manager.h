/* plab-manager.h: a server process holding shared objects that other
 * processes use through proxies, like Python's multiprocessing.Manager ().
 *
 * The server holds two kinds of object, each found by name:
 *
 *   dict       key -> value (Manager ().dict ()). The dict named "" is the
 *              manager's namespace (Manager ().Namespace ()): the
 *              plab_proxy_ns_* calls are the same store under attribute
 *              names, and plab_proxy_add/set/get () are its int64 case, so
 *              a counter is one int64 attribute.
 *   list       values in order (Manager ().list ()): append, get (i),
 *              set (i), len, pop (i).
 *
 * A value (PlabManaged) is an int64, a double or a short string (less than
 * PLAB_MANAGER_STR_MAX bytes). Every proxy call is a round trip over the
 * pipe protocol (plab-pipe.h): a request frame to the server, a reply frame
 * back, recorded as a span "manager: add hits" ("manager: append results",
 * "manager: set scores[ann]") on the caller's lane when a trace records.
 * The server runs one request at a time, so each call is atomic: concurrent
 * plab_proxy_add () or plab_proxy_list_append () calls lose no update, at
 * the cost of two context switches each. A sequence of calls is not atomic:
 * get then set may lose another process's set in between, as in Python.
 *
 * Make the manager before starting the processes that use it, and give each
 * process its own proxy (plab_manager_proxy (mgr, i)), as Python gives each
 * its own connection: one proxy must not be used by two processes at once.
 * A forked child uses the proxy pointer as it is. A child started by spawn
 * or forkserver shares no memory with its parent: hand it the proxy with
 * plab_process_set_proxy () (plab-process.h) before the start, which passes
 * the connection's descriptor down with the child's boot message, and the
 * child finds it with plab_proxy_inherited (). A process that got no proxy
 * (a pool's worker, under any start method and backend) connects by the
 * manager's address: hand it the string plab_manager_address () (in a map's
 * user_data, with its size, or in an item), and the task calls
 * plab_proxy_connect (address), as Python's proxies connect again in each
 * process that receives one.
 *
 * A user process that dies (even by SIGKILL, even in the middle of a call)
 * stops no one: the server never waits on one connection (it answers
 * whichever has a whole request), drops a connection once every process
 * holding it has gone, and goes on serving the others. Its proxy is spent:
 * a reply or half a request may be left in the connection, so no other
 * process should take it over.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PlabManager PlabManager;
typedef struct PlabProxy PlabProxy;

#define PLAB_MANAGER_KEY_MAX 48       /* bytes of a key or an object name, NUL included */
#define PLAB_MANAGER_MAX_KEYS 256     /* dict entries one manager holds, all dicts together */
#define PLAB_MANAGER_MAX_LISTS 32     /* lists one manager holds */
#define PLAB_MANAGER_LIST_MAX 1000000 /* items of one list */
#define PLAB_MANAGER_STR_MAX 64       /* bytes of a string value, NUL included */
#define PLAB_MANAGER_ADDRESS_MAX 48   /* bytes of a manager's address, NUL included */

typedef enum
{
  PLAB_MANAGED_NONE = 0, /* no value: what a failed get leaves */
  PLAB_MANAGED_INT64,
  PLAB_MANAGED_DOUBLE,
  PLAB_MANAGED_STRING,
} PlabManagedType;

/* A value as the manager stores it; copied whole into and out of the
 * server, so it holds no pointer. */
typedef struct
{
  PlabManagedType type;
  union
  {
    int64_t i;
    double d;
    char s[PLAB_MANAGER_STR_MAX];
  } u;
} PlabManaged;

/* Values of each type. plab_managed_string () returns PLAB_EINVAL, and leaves
 * *out a PLAB_MANAGED_NONE, for a string of PLAB_MANAGER_STR_MAX bytes or
 * more: a string is never cut short. */
PlabManaged plab_managed_int64 (int64_t i);
PlabManaged plab_managed_double (double d);
int plab_managed_string (const char *s, PlabManaged *out);

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

/* The server's address ("@plab-manager-PID-NONCE", a Unix socket in the
 * abstract namespace; owned by the manager): any process of this user on
 * this machine (and in this network namespace) can connect to it with
 * plab_proxy_connect () while the server runs. */
const char *plab_manager_address (const PlabManager *self);

/* *@out = the calling thread's proxy to the manager at @address: the first
 * call in a thread connects, later calls with the same address return the
 * same proxy, so a pool task may call it for each item. A forked child, or
 * a call with another address, connects afresh (a thread holds one such
 * proxy at a time). Owned by the library: it closes when the thread ends.
 * Returns 0, PLAB_EINVAL (not an address), PLAB_ECLOSED (no manager there:
 * never made, or its server has exited), PLAB_ENOMEM or PLAB_ESYS. */
int plab_proxy_connect (const char *address, PlabProxy **out);

/* In a child started with plab_process_set_proxy (), under any start
 * method: the proxy its parent handed it (owned by the library, valid until
 * the child exits); NULL in any other process. */
PlabProxy *plab_proxy_inherited (void);

/* Every call below returns 0 or a negative code. Common to all:
 * PLAB_EINVAL (a NULL or too long name, key or string), PLAB_ECLOSED (the
 * server is gone), PLAB_EPROTO (a malformed reply). Each call names the
 * others it can return. PLAB_ETYPE means a value of another type than the
 * call works on: the object is left as it was. */

/* The namespace's int64 case (attribute names are keys of the dict "").
 * plab_proxy_add (): key += delta, starting from 0; *value (may be NULL)
 * gets the new value; PLAB_EFULL (too many keys), PLAB_ETYPE (the key holds
 * a double or a string). plab_proxy_set (): key = value, whatever the key
 * held; PLAB_EFULL. plab_proxy_get (): *value = key; PLAB_ENOTFOUND,
 * PLAB_ETYPE (not an int64). */
int plab_proxy_add (PlabProxy *proxy, const char *key, int64_t delta, int64_t *value);
int plab_proxy_set (PlabProxy *proxy, const char *key, int64_t value);
int plab_proxy_get (PlabProxy *proxy, const char *key, int64_t *value);

/* Namespace attributes of any type: ns.name = *value; *value = ns.name
 * (PLAB_ENOTFOUND). The same store as plab_proxy_add/set/get (). */
int plab_proxy_ns_set (PlabProxy *proxy, const char *name, const PlabManaged *value);
int plab_proxy_ns_get (PlabProxy *proxy, const char *name, PlabManaged *value);

/* Dict @dict (made by its first set; "" is the namespace):
 * _set (): dict[key] = *value (PLAB_EFULL: too many keys in all dicts).
 * _get (): *value = dict[key] (PLAB_ENOTFOUND).
 * _add (): dict[key] += delta as plab_proxy_add () (PLAB_EFULL, PLAB_ETYPE).
 * _del (): removes dict[key] (PLAB_ENOTFOUND).
 * _len (): *len = the number of keys of @dict (0 for a dict never set). */
int plab_proxy_dict_set (PlabProxy *proxy,
                         const char *dict,
                         const char *key,
                         const PlabManaged *value);
int plab_proxy_dict_get (PlabProxy *proxy, const char *dict, const char *key, PlabManaged *value);
int plab_proxy_dict_add (PlabProxy *proxy,
                         const char *dict,
                         const char *key,
                         int64_t delta,
                         int64_t *value);
int plab_proxy_dict_del (PlabProxy *proxy, const char *dict, const char *key);
int plab_proxy_dict_len (PlabProxy *proxy, const char *dict, int64_t *len);

/* List @list (made by its first append; a list never appended to is empty).
 * An index counts from 0, or from the end when negative (-1 is the last),
 * as in Python; an index outside the list returns PLAB_ERANGE.
 * _append (): appends a copy of *value; *len (may be NULL) gets the new
 *   length (PLAB_EFULL: PLAB_MANAGER_LIST_MAX items, or
 *   PLAB_MANAGER_MAX_LISTS lists, or the server is out of memory).
 * _get (): *value = list[index].  _set (): list[index] = *value.
 * _len (): *len = the number of items.
 * _pop (): removes list[index] and stores it in *value (may be NULL); -1
 *   pops the last item, like list.pop (). */
int plab_proxy_list_append (PlabProxy *proxy,
                            const char *list,
                            const PlabManaged *value,
                            int64_t *len);
int plab_proxy_list_get (PlabProxy *proxy, const char *list, int64_t index, PlabManaged *value);
int plab_proxy_list_set (PlabProxy *proxy,
                         const char *list,
                         int64_t index,
                         const PlabManaged *value);
int plab_proxy_list_len (PlabProxy *proxy, const char *list, int64_t *len);
int plab_proxy_list_pop (PlabProxy *proxy, const char *list, int64_t index, PlabManaged *value);

#ifdef __cplusplus
}
#endif
