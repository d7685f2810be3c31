/* plab-manager.c: the manager's server process and its proxies.
 *
 * Connection i is a pipe (plab_pipe_new ()) made before the fork: the server
 * keeps end b of every pipe, the proxies use end a. A request is one frame
 * holding a Request, the reply one frame holding a Reply. The server polls
 * every end it holds and exits when all of them reached end of file, so it
 * never outlives the processes that use it (and it dies with its parent).
 *
 * The server also listens on a Unix socket in the abstract namespace (the
 * manager's address), for processes that got no connection at the fork:
 * pool workers, children started by spawn or forkserver, which connect with
 * plab_proxy_connect (). It accepts connections from its own user only, and
 * exits once every connection made at the fork and every accepted one has
 * closed.
 *
 * The server's store is its own memory, touched by its one thread only: the
 * dict entries of every dict (one array, searched in order: the keys are few
 * and a round trip costs far more than the search) and the lists (each a
 * heap array that grows by doubling).
 */
#include "plab-manager.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "plab-error.h"
#include "plab-manager-private.h"
#include "plab-pipe-private.h"
#include "plab-pipe.h"
#include "plab-process-private.h"
#include "plab-trace.h"

#define MANAGER_MAX_PROXIES 64
#define MANAGER_MAX_ACCEPTED 192 /* connections made by plab_proxy_connect (), open at once */
#define MANAGER_MAX_MESSAGE 4096

enum
{
  OP_DICT_ADD = 1,
  OP_DICT_SET,
  OP_DICT_GET,
  OP_DICT_DEL,
  OP_DICT_LEN,
  OP_LIST_APPEND,
  OP_LIST_GET,
  OP_LIST_SET,
  OP_LIST_LEN,
  OP_LIST_POP,
  N_OPS
};

static const char *const op_names[N_OPS] = {
  [OP_DICT_ADD] = "add", [OP_DICT_SET] = "set",       [OP_DICT_GET] = "get", [OP_DICT_DEL] = "del",
  [OP_DICT_LEN] = "len", [OP_LIST_APPEND] = "append", [OP_LIST_GET] = "get", [OP_LIST_SET] = "set",
  [OP_LIST_LEN] = "len", [OP_LIST_POP] = "pop",
};

typedef struct
{
  uint32_t op;
  uint32_t reserved;
  int64_t arg; /* a list index, or the delta of an add */
  PlabManaged value;
  char name[PLAB_MANAGER_KEY_MAX]; /* the dict or list */
  char key[PLAB_MANAGER_KEY_MAX];  /* the dict key */
} Request;

typedef struct
{
  int32_t rc;
  uint32_t reserved;
  int64_t n; /* a length, or the new value of an add */
  PlabManaged value;
} Reply;

struct PlabProxy
{
  PlabConn *conn; /* end a: this side */
};

struct PlabManager
{
  pid_t pid;
  pid_t owner;
  int n;
  PlabProxy proxies[MANAGER_MAX_PROXIES];
  char address[PLAB_MANAGER_ADDRESS_MAX];
};

/* A thread's connection made by plab_proxy_connect (): to one address, in
 * the process that made it (a forked child makes its own). */
typedef struct
{
  pid_t pid;
  char address[PLAB_MANAGER_ADDRESS_MAX];
  PlabProxy proxy;
} Connected;

static _Thread_local Connected connected;
static pthread_key_t connected_key;
static pthread_once_t connected_once = PTHREAD_ONCE_INIT;

/* At the end of a thread: its connection closes, and the server drops it. */
static void
connected_close (void *data)
{
  Connected *c = data;

  plab_conn_close (c->proxy.conn);
  c->proxy.conn = NULL;
}

/* In a child given a proxy by plab_process_set_proxy (): that proxy. Set
 * once before the child's function runs; read-only after. */
static PlabProxy *inherited;
static PlabProxy adopted;

PlabManaged
plab_managed_int64 (int64_t i)
{
  PlabManaged v;

  memset (&v, 0, sizeof v);
  v.type = PLAB_MANAGED_INT64;
  v.u.i = i;
  return v;
}

PlabManaged
plab_managed_double (double d)
{
  PlabManaged v;

  memset (&v, 0, sizeof v);
  v.type = PLAB_MANAGED_DOUBLE;
  v.u.d = d;
  return v;
}

/* Copies the meaningful bytes of @src only, the rest zero: a caller's value
 * may hold stale bytes past its member, and those never travel. */
static void
value_copy (PlabManaged *dst, const PlabManaged *src)
{
  memset (dst, 0, sizeof *dst);
  dst->type = src->type;
  if (src->type == PLAB_MANAGED_INT64)
    dst->u.i = src->u.i;
  else if (src->type == PLAB_MANAGED_DOUBLE)
    dst->u.d = src->u.d;
  else if (src->type == PLAB_MANAGED_STRING)
    strcpy (dst->u.s, src->u.s);
}

int
plab_managed_string (const char *s, PlabManaged *out)
{
  memset (out, 0, sizeof *out);
  if (s == NULL || strlen (s) >= sizeof out->u.s)
    return PLAB_EINVAL;
  out->type = PLAB_MANAGED_STRING;
  strcpy (out->u.s, s);
  return 0;
}

/* --- The server --- */

typedef struct
{
  char dict[PLAB_MANAGER_KEY_MAX];
  char key[PLAB_MANAGER_KEY_MAX];
  PlabManaged value;
} Entry;

typedef struct
{
  char name[PLAB_MANAGER_KEY_MAX];
  PlabManaged *items;
  int64_t n;
  int64_t cap;
} List;

typedef struct
{
  Entry entries[PLAB_MANAGER_MAX_KEYS];
  int n_entries;
  List lists[PLAB_MANAGER_MAX_LISTS];
  int n_lists;
} Store;

static bool
value_valid (const PlabManaged *v)
{
  return v->type == PLAB_MANAGED_INT64 || v->type == PLAB_MANAGED_DOUBLE
         || (v->type == PLAB_MANAGED_STRING && memchr (v->u.s, '\0', sizeof v->u.s) != NULL);
}

static Entry *
entry_find (Store *st, const Request *req)
{
  for (int i = 0; i < st->n_entries; i++)
    if (strcmp (st->entries[i].dict, req->name) == 0 && strcmp (st->entries[i].key, req->key) == 0)
      return &st->entries[i];
  return NULL;
}

static int
serve_dict (Store *st, const Request *req, Reply *rep)
{
  Entry *e = entry_find (st, req);

  switch (req->op)
    {
    case OP_DICT_GET:
      if (e == NULL)
        return PLAB_ENOTFOUND;
      rep->value = e->value;
      return 0;
    case OP_DICT_DEL:
      if (e == NULL)
        return PLAB_ENOTFOUND;
      *e = st->entries[--st->n_entries];
      return 0;
    case OP_DICT_LEN:
      rep->n = 0;
      for (int i = 0; i < st->n_entries; i++)
        rep->n += strcmp (st->entries[i].dict, req->name) == 0;
      return 0;
    default:
      break;
    }
  /* A set or an add: the key is made when it is missing. */
  if (req->op == OP_DICT_SET && !value_valid (&req->value))
    return PLAB_EINVAL;
  if (e != NULL && req->op == OP_DICT_ADD && e->value.type != PLAB_MANAGED_INT64)
    return PLAB_ETYPE;
  if (e == NULL)
    {
      if (st->n_entries == PLAB_MANAGER_MAX_KEYS)
        return PLAB_EFULL;
      e = &st->entries[st->n_entries++];
      memcpy (e->dict, req->name, sizeof e->dict);
      memcpy (e->key, req->key, sizeof e->key);
      e->value = plab_managed_int64 (0);
    }
  if (req->op == OP_DICT_SET)
    e->value = req->value;
  else
    e->value.u.i += req->arg;
  rep->n = e->value.u.i;
  rep->value = e->value;
  return 0;
}

static List *
list_find (Store *st, const char *name)
{
  for (int i = 0; i < st->n_lists; i++)
    if (strcmp (st->lists[i].name, name) == 0)
      return &st->lists[i];
  return NULL;
}

/* Python's index rule: negative counts from the end. */
static int
list_index (const List *l, int64_t index, int64_t *out)
{
  int64_t n = l != NULL ? l->n : 0;

  if (index < 0)
    index += n;
  if (index < 0 || index >= n)
    return PLAB_ERANGE;
  *out = index;
  return 0;
}

static int
serve_list (Store *st, const Request *req, Reply *rep)
{
  List *l = list_find (st, req->name);
  int64_t i = 0;
  int rc;

  switch (req->op)
    {
    case OP_LIST_APPEND:
      if (!value_valid (&req->value))
        return PLAB_EINVAL;
      if (l == NULL)
        {
          if (st->n_lists == PLAB_MANAGER_MAX_LISTS)
            return PLAB_EFULL;
          l = &st->lists[st->n_lists++];
          memcpy (l->name, req->name, sizeof l->name);
        }
      if (l->n == PLAB_MANAGER_LIST_MAX)
        return PLAB_EFULL;
      if (l->n == l->cap)
        {
          int64_t cap = l->cap > 0 ? l->cap * 2 : 64;
          PlabManaged *items = realloc (l->items, (size_t)cap * sizeof *items);
          if (items == NULL)
            return PLAB_EFULL;
          l->items = items;
          l->cap = cap;
        }
      l->items[l->n++] = req->value;
      rep->n = l->n;
      return 0;
    case OP_LIST_LEN:
      rep->n = l != NULL ? l->n : 0;
      return 0;
    case OP_LIST_GET:
    case OP_LIST_SET:
    case OP_LIST_POP:
      rc = list_index (l, req->arg, &i);
      if (rc != 0)
        return rc;
      if (req->op == OP_LIST_SET)
        {
          if (!value_valid (&req->value))
            return PLAB_EINVAL;
          l->items[i] = req->value;
          return 0;
        }
      rep->value = l->items[i];
      if (req->op == OP_LIST_POP)
        {
          memmove (&l->items[i], &l->items[i + 1], (size_t)(l->n - i - 1) * sizeof *l->items);
          l->n--;
        }
      rep->n = l->n;
      return 0;
    default:
      return PLAB_EPROTO;
    }
}

static int
serve (Store *st, Request *req, Reply *rep)
{
  req->name[sizeof req->name - 1] = '\0';
  req->key[sizeof req->key - 1] = '\0';
  if (req->op >= OP_DICT_ADD && req->op <= OP_DICT_LEN)
    return serve_dict (st, req, rep);
  return serve_list (st, req, rep);
}

/* Takes a connection waiting on @listener into a free slot of @conns past
 * the first @n_fixed; one from another user, or past the limit, is closed.
 * Returns whether it took one. */
static bool
accept_one (int listener, PlabConn **conns, int n_fixed)
{
  struct ucred cred;
  socklen_t len = sizeof cred;
  int fd = accept4 (listener, NULL, NULL, SOCK_CLOEXEC);

  if (fd < 0)
    return false;
  if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == getuid ())
    for (int i = n_fixed; i < n_fixed + MANAGER_MAX_ACCEPTED; i++)
      if (conns[i] == NULL)
        {
          conns[i] = _plab_conn_from_fd (fd, "manager", MANAGER_MAX_MESSAGE);
          return conns[i] != NULL;
        }
  close (fd);
  return false;
}

/* Serves @conns: the first @n made at the fork, then those accepted on
 * @listener. Exits once all of them have closed. */
static _Noreturn void
server_main (PlabConn **conns, int n, int listener)
{
  static Store store;
  struct pollfd pfd[MANAGER_MAX_PROXIES + MANAGER_MAX_ACCEPTED + 1];
  int n_slots = n + MANAGER_MAX_ACCEPTED;
  int open = n;

  while (open > 0)
    {
      for (int i = 0; i < n_slots; i++)
        {
          pfd[i].fd = conns[i] != NULL ? plab_conn_fd (conns[i]) : -1;
          pfd[i].events = POLLIN;
          pfd[i].revents = 0;
        }
      pfd[n_slots] = (struct pollfd){ .fd = listener, .events = POLLIN };
      if (poll (pfd, (nfds_t)n_slots + 1, -1) < 0 && errno != EINTR)
        _exit (1);
      if (pfd[n_slots].revents != 0 && accept_one (listener, conns, n))
        open++;
      for (int i = 0; i < n_slots; i++)
        {
          Request req;
          Reply rep = { 0 };
          size_t got;
          int rc;

          if (conns[i] == NULL || pfd[i].revents == 0)
            continue;
          rc = plab_conn_recv (conns[i], &req, sizeof req, &got, 0);
          if (rc == PLAB_ETIMEDOUT)
            continue;
          if (rc == 0 && got == sizeof req)
            {
              rep.rc = serve (&store, &req, &rep);
              rc = plab_conn_send (conns[i], &rep, sizeof rep);
            }
          else if (rc == 0)
            rc = PLAB_EPROTO;
          if (rc != 0)
            {
              /* End of file (the user closed its end, or died: even in the
               * middle of a frame, which then never completes), a peer that
               * broke the protocol or cannot be answered: drop it, serve the
               * others. */
              plab_conn_close (conns[i]);
              conns[i] = NULL;
              open--;
            }
        }
    }
  _exit (0);
}

/* The socket address of @address ("@name": a name in the abstract
 * namespace). Returns its length, or 0 for an address that is not one. */
static socklen_t
socket_address (const char *address, struct sockaddr_un *sa)
{
  size_t len = address != NULL ? strlen (address) : 0;

  memset (sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (len < 2 || address[0] != '@' || len > sizeof sa->sun_path || len >= PLAB_MANAGER_ADDRESS_MAX)
    return 0;
  memcpy (sa->sun_path + 1, address + 1, len - 1);
  return (socklen_t)(offsetof (struct sockaddr_un, sun_path) + len);
}

/* Makes the server's listening socket under a fresh name, written to
 * @address. Returns the descriptor, or a negative code. */
static int
listen_new (char *address)
{
  struct sockaddr_un sa;
  uint64_t nonce = 0;
  socklen_t len;
  int fd;

  if (getrandom (&nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce)
    nonce = (uint64_t)plab_now_ns ();
  snprintf (address, PLAB_MANAGER_ADDRESS_MAX, "@plab-manager-%d-%016llx", (int)getpid (),
            (unsigned long long)nonce);
  len = socket_address (address, &sa);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return _plab_error_syscall ("socket", errno);
  if (bind (fd, (struct sockaddr *)&sa, len) != 0 || listen (fd, 64) != 0)
    {
      int rc = _plab_error_syscall ("bind", errno);
      close (fd);
      return rc;
    }
  return fd;
}

int
plab_manager_new (int n_proxies, PlabManager **out)
{
  PlabConn *server_ends[MANAGER_MAX_PROXIES + MANAGER_MAX_ACCEPTED] = { NULL };
  PlabManager *self;
  pid_t parent = getpid ();
  int listener = -1;
  int rc = PLAB_ENOMEM;

  *out = NULL;
  if (n_proxies < 1 || n_proxies > MANAGER_MAX_PROXIES)
    return PLAB_EINVAL;
  self = calloc (1, sizeof *self);
  if (self == NULL)
    return PLAB_ENOMEM;
  self->n = n_proxies;
  self->owner = parent;
  for (int i = 0; i < n_proxies; i++)
    {
      rc = plab_pipe_new ("manager", MANAGER_MAX_MESSAGE, &self->proxies[i].conn, &server_ends[i]);
      if (rc != 0)
        goto fail;
    }
  if ((listener = listen_new (self->address)) < 0)
    {
      rc = listener;
      goto fail;
    }
  fflush (NULL);
  self->pid = fork ();
  if (self->pid < 0)
    {
      rc = _plab_error_syscall ("fork", errno);
      goto fail;
    }
  if (self->pid == 0)
    {
      _plab_child_setup (parent);
      for (int i = 0; i < n_proxies; i++)
        plab_conn_close (self->proxies[i].conn);
      /* The server needs none of it, and a leak checker at its exit would
       * find it lost. */
      free (self);
      server_main (server_ends, n_proxies, listener);
    }
  /* The server's ends are the server's alone: closed here, so that its end
   * of file comes when the proxies' processes close theirs. */
  for (int i = 0; i < n_proxies; i++)
    plab_conn_close (server_ends[i]);
  close (listener);
  *out = self;
  return 0;

fail:
  for (int i = 0; i < n_proxies; i++)
    {
      plab_conn_close (self->proxies[i].conn);
      plab_conn_close (server_ends[i]);
    }
  if (listener >= 0)
    close (listener);
  free (self);
  return rc;
}

void
plab_manager_free (PlabManager *self)
{
  PlabExitStatus st;

  if (self == NULL)
    return;
  for (int i = 0; i < self->n; i++)
    plab_conn_close (self->proxies[i].conn);
  /* This thread's own connection by address (a serial pool's task ran
   * here) would keep the server waiting. */
  if (connected.proxy.conn != NULL && strcmp (connected.address, self->address) == 0)
    connected_close (&connected);
  if (self->owner == getpid ()
      && _plab_wait_pid (self->pid, -1, 1000000000LL, &st) == PLAB_ETIMEDOUT)
    {
      /* A child still holds a connection open: the server goes anyway. */
      kill (self->pid, SIGKILL);
      _plab_wait_pid (self->pid, -1, -1, &st);
    }
  free (self);
}

pid_t
plab_manager_pid (const PlabManager *self)
{
  return self->pid;
}

PlabProxy *
plab_manager_proxy (PlabManager *self, int i)
{
  return i >= 0 && i < self->n ? &self->proxies[i] : NULL;
}

const char *
plab_manager_address (const PlabManager *self)
{
  return self->address;
}

/* --- Proxies connected by address --- */

static void
connected_key_new (void)
{
  pthread_key_create (&connected_key, connected_close);
}

int
plab_proxy_connect (const char *address, PlabProxy **out)
{
  Connected *c = &connected;
  struct sockaddr_un sa;
  socklen_t len;
  int fd;

  if (out == NULL)
    return PLAB_EINVAL;
  *out = NULL;
  len = socket_address (address, &sa);
  if (len == 0)
    return _plab_error_set (PLAB_EINVAL, "plab_proxy_connect: '%s' is not a manager's address",
                            address != NULL ? address : "(null)");
  if (c->proxy.conn != NULL && c->pid == getpid () && strcmp (c->address, address) == 0)
    {
      *out = &c->proxy;
      return 0;
    }
  /* Another manager's, or the parent's before a fork: this process's copy
   * of that connection goes (the parent's stays open in the parent). */
  plab_conn_close (c->proxy.conn);
  c->proxy.conn = NULL;
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return _plab_error_syscall ("socket", errno);
  if (connect (fd, (struct sockaddr *)&sa, len) != 0)
    {
      int err = errno;
      close (fd);
      if (err == ECONNREFUSED || err == ENOENT)
        return _plab_error_set (PLAB_ECLOSED, "plab_proxy_connect: no manager at %s", address);
      return _plab_error_syscall ("connect", err);
    }
  c->proxy.conn = _plab_conn_from_fd (fd, "manager", MANAGER_MAX_MESSAGE);
  if (c->proxy.conn == NULL)
    {
      close (fd);
      return PLAB_ENOMEM;
    }
  c->pid = getpid ();
  strcpy (c->address, address);
  pthread_once (&connected_once, connected_key_new);
  pthread_setspecific (connected_key, c);
  *out = &c->proxy;
  return 0;
}

/* --- Proxies handed to children --- */

PlabProxy *
plab_proxy_inherited (void)
{
  return inherited;
}

int
_plab_proxy_fd (const PlabProxy *proxy)
{
  return plab_conn_fd (proxy->conn);
}

void
_plab_proxy_set_inherited (PlabProxy *proxy)
{
  inherited = proxy;
}

int
_plab_proxy_adopt_fd (int fd)
{
  adopted.conn = _plab_conn_from_fd (fd, "manager", MANAGER_MAX_MESSAGE);
  if (adopted.conn == NULL)
    {
      close (fd);
      return PLAB_ENOMEM;
    }
  inherited = &adopted;
  return 0;
}

/* --- Proxy calls --- */

static bool
name_fits (const char *s)
{
  return s != NULL && strlen (s) < PLAB_MANAGER_KEY_MAX;
}

/* What the span calls the object: "hits" for the namespace, "scores[ann]"
 * for a dict entry, "results" or "results[3]" for a list. */
static void
span_label (const Request *req, char *label, size_t size)
{
  const char *op = op_names[req->op];

  if (req->op <= OP_DICT_LEN && req->name[0] == '\0')
    snprintf (label, size, "manager: %s %s", op, req->key);
  else if (req->op <= OP_DICT_LEN && req->op != OP_DICT_LEN)
    snprintf (label, size, "manager: %s %s[%s]", op, req->name, req->key);
  else if (req->op == OP_LIST_GET || req->op == OP_LIST_SET
           || (req->op == OP_LIST_POP && req->arg != -1))
    snprintf (label, size, "manager: %s %s[%lld]", op, req->name, (long long)req->arg);
  else
    snprintf (label, size, "manager: %s %s", op, req->name);
}

/* One round trip, shown on the caller's lane. @req holds the operation and
 * its arguments; the names were checked. */
static int
call (PlabProxy *proxy, Request *req, Reply *rep)
{
  size_t got;
  int64_t t0 = plab_now_ns ();
  int rc;

  if (proxy == NULL)
    return PLAB_EINVAL;
  rc = plab_conn_send (proxy->conn, req, sizeof *req);
  if (rc == 0)
    rc = plab_conn_recv (proxy->conn, rep, sizeof *rep, &got, -1);
  if (rc == 0 && got != sizeof *rep)
    rc = PLAB_EPROTO;
  if (plab_tracing ())
    {
      char label[PLAB_LABEL_MAX];
      span_label (req, label, sizeof label);
      plab_span (PLAB_SPAN_QUEUE_WAIT, t0, plab_now_ns (), -1, label);
    }
  if (rc != 0)
    return rc;
  if (rep->rc == 0 && rep->value.type == PLAB_MANAGED_STRING)
    rep->value.u.s[sizeof rep->value.u.s - 1] = '\0';
  return rep->rc;
}

/* Sends one dict or list operation on the object named @name and waits for
 * the reply. @key names the entry of a dict operation (NULL for a dict's len
 * and for lists, whose entries are at index @arg); @arg is also the delta of
 * an add; @value is what a set or append stores. The reply's value (of a get
 * or pop) goes to *@got, NONE on an error; its number (of a len, add or
 * append) to *@n, left alone on an error. Either may be NULL. */
static int
object_call (PlabProxy *proxy,
             uint32_t op,
             const char *name,
             const char *key,
             int64_t arg,
             const PlabManaged *value,
             PlabManaged *got,
             int64_t *n)
{
  bool keyed = op == OP_DICT_ADD || op == OP_DICT_SET || op == OP_DICT_GET || op == OP_DICT_DEL;
  bool stores = op == OP_DICT_SET || op == OP_LIST_SET || op == OP_LIST_APPEND;
  Request req;
  Reply rep;
  int rc;

  if (got != NULL)
    *got = (PlabManaged){ .type = PLAB_MANAGED_NONE };
  memset (&req, 0, sizeof req);
  req.op = op;
  req.arg = arg;
  if (!name_fits (name) || (keyed && !name_fits (key)))
    return PLAB_EINVAL;
  if (stores && (value == NULL || !value_valid (value)))
    return PLAB_EINVAL;
  strcpy (req.name, name);
  if (key != NULL)
    strcpy (req.key, key);
  if (value != NULL)
    value_copy (&req.value, value);
  rc = call (proxy, &req, &rep);
  if (rc == 0 && got != NULL)
    *got = rep.value;
  if (rc == 0 && n != NULL)
    *n = rep.n;
  return rc;
}

int
plab_proxy_dict_set (PlabProxy *proxy, const char *dict, const char *key, const PlabManaged *value)
{
  return object_call (proxy, OP_DICT_SET, dict, key, 0, value, NULL, NULL);
}

int
plab_proxy_dict_get (PlabProxy *proxy, const char *dict, const char *key, PlabManaged *value)
{
  return object_call (proxy, OP_DICT_GET, dict, key, 0, NULL, value, NULL);
}

int
plab_proxy_dict_add (PlabProxy *proxy,
                     const char *dict,
                     const char *key,
                     int64_t delta,
                     int64_t *value)
{
  return object_call (proxy, OP_DICT_ADD, dict, key, delta, NULL, NULL, value);
}

int
plab_proxy_dict_del (PlabProxy *proxy, const char *dict, const char *key)
{
  return object_call (proxy, OP_DICT_DEL, dict, key, 0, NULL, NULL, NULL);
}

int
plab_proxy_dict_len (PlabProxy *proxy, const char *dict, int64_t *len)
{
  return object_call (proxy, OP_DICT_LEN, dict, NULL, 0, NULL, NULL, len);
}

int
plab_proxy_ns_set (PlabProxy *proxy, const char *name, const PlabManaged *value)
{
  return plab_proxy_dict_set (proxy, "", name, value);
}

int
plab_proxy_ns_get (PlabProxy *proxy, const char *name, PlabManaged *value)
{
  return plab_proxy_dict_get (proxy, "", name, value);
}

int
plab_proxy_add (PlabProxy *proxy, const char *key, int64_t delta, int64_t *value)
{
  return plab_proxy_dict_add (proxy, "", key, delta, value);
}

int
plab_proxy_set (PlabProxy *proxy, const char *key, int64_t value)
{
  PlabManaged v = plab_managed_int64 (value);

  return plab_proxy_dict_set (proxy, "", key, &v);
}

int
plab_proxy_get (PlabProxy *proxy, const char *key, int64_t *value)
{
  PlabManaged v;
  int rc = plab_proxy_dict_get (proxy, "", key, &v);

  if (rc == 0 && v.type != PLAB_MANAGED_INT64)
    return PLAB_ETYPE;
  if (rc == 0 && value != NULL)
    *value = v.u.i;
  return rc;
}

int
plab_proxy_list_append (PlabProxy *proxy, const char *list, const PlabManaged *value, int64_t *len)
{
  return object_call (proxy, OP_LIST_APPEND, list, NULL, 0, value, NULL, len);
}

int
plab_proxy_list_get (PlabProxy *proxy, const char *list, int64_t index, PlabManaged *value)
{
  return object_call (proxy, OP_LIST_GET, list, NULL, index, NULL, value, NULL);
}

int
plab_proxy_list_set (PlabProxy *proxy, const char *list, int64_t index, const PlabManaged *value)
{
  return object_call (proxy, OP_LIST_SET, list, NULL, index, value, NULL, NULL);
}

int
plab_proxy_list_len (PlabProxy *proxy, const char *list, int64_t *len)
{
  return object_call (proxy, OP_LIST_LEN, list, NULL, 0, NULL, NULL, len);
}

int
plab_proxy_list_pop (PlabProxy *proxy, const char *list, int64_t index, PlabManaged *value)
{
  return object_call (proxy, OP_LIST_POP, list, NULL, index, NULL, value, NULL);
}
