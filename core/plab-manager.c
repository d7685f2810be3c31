/* plab-manager.c: the manager's server process and its proxies.
 *
 * Connection i is a pipe (plab_pipe_new ()) made before the fork: the server
 * keeps end b of every pipe, the proxies use end a. A request is one frame
 * holding a Request, the reply one frame holding a Reply. The server polls
 * every end it holds and exits when all of them reached end of file, so it
 * never outlives the processes that use it (and it dies with its parent).
 */
#include "plab-manager.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plab-error.h"
#include "plab-pipe.h"
#include "plab-process-private.h"
#include "plab-trace.h"

#define MANAGER_MAX_PROXIES 64

enum
{
  OP_ADD = 1,
  OP_SET,
  OP_GET,
};

typedef struct
{
  uint32_t op;
  int64_t value;
  char key[PLAB_MANAGER_KEY_MAX];
} Request;

typedef struct
{
  int32_t rc;
  int64_t value;
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
};

typedef struct
{
  char key[PLAB_MANAGER_KEY_MAX];
  int64_t value;
} Entry;

/* The server's dictionary: a short array searched in order (the keys are
 * few; a round trip costs far more than the search). */
static int
serve (Entry *dict, int *n_keys, const Request *req, Reply *rep)
{
  int i;

  for (i = 0; i < *n_keys; i++)
    if (strcmp (dict[i].key, req->key) == 0)
      break;
  if (i == *n_keys)
    {
      if (req->op == OP_GET)
        return PLAB_ENOTFOUND;
      if (*n_keys == PLAB_MANAGER_MAX_KEYS)
        return PLAB_EFULL;
      memcpy (dict[i].key, req->key, sizeof dict[i].key);
      dict[i].value = 0;
      (*n_keys)++;
    }
  if (req->op == OP_ADD)
    dict[i].value += req->value;
  else if (req->op == OP_SET)
    dict[i].value = req->value;
  rep->value = dict[i].value;
  return 0;
}

static _Noreturn void
server_main (PlabConn **conns, int n)
{
  static Entry dict[PLAB_MANAGER_MAX_KEYS];
  struct pollfd pfd[MANAGER_MAX_PROXIES];
  int n_keys = 0, open = n;

  while (open > 0)
    {
      for (int i = 0; i < n; i++)
        {
          pfd[i].fd = conns[i] != NULL ? plab_conn_fd (conns[i]) : -1;
          pfd[i].events = POLLIN;
          pfd[i].revents = 0;
        }
      if (poll (pfd, (nfds_t)n, -1) < 0 && errno != EINTR)
        _exit (1);
      for (int i = 0; i < n; i++)
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
          if (rc != 0 || got != sizeof req)
            {
              /* End of file, or a peer that broke the protocol: drop it. */
              plab_conn_close (conns[i]);
              conns[i] = NULL;
              open--;
              continue;
            }
          req.key[sizeof req.key - 1] = '\0';
          rep.rc = serve (dict, &n_keys, &req, &rep);
          if (plab_conn_send (conns[i], &rep, sizeof rep) != 0)
            {
              plab_conn_close (conns[i]);
              conns[i] = NULL;
              open--;
            }
        }
    }
  _exit (0);
}

int
plab_manager_new (int n_proxies, PlabManager **out)
{
  PlabConn *server_ends[MANAGER_MAX_PROXIES] = { NULL };
  PlabManager *self;
  pid_t parent = getpid ();
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
      rc = plab_pipe_new ("manager", 4096, &self->proxies[i].conn, &server_ends[i]);
      if (rc != 0)
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
      server_main (server_ends, n_proxies);
    }
  /* The server's ends are the server's alone: closed here, so that its end
   * of file comes when the proxies' processes close theirs. */
  for (int i = 0; i < n_proxies; i++)
    plab_conn_close (server_ends[i]);
  *out = self;
  return 0;

fail:
  for (int i = 0; i < n_proxies; i++)
    {
      plab_conn_close (self->proxies[i].conn);
      plab_conn_close (server_ends[i]);
    }
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

/* One round trip, shown on the caller's lane. */
static int
call (PlabProxy *proxy, uint32_t op, const char *key, int64_t value, int64_t *out)
{
  static const char *const names[] = { "", "add", "set", "get" };
  Request req = { .op = op, .value = value };
  Reply rep;
  size_t got;
  int64_t t0 = plab_now_ns ();
  int rc;

  if (key == NULL || strlen (key) >= sizeof req.key)
    return PLAB_EINVAL;
  strcpy (req.key, key);
  rc = plab_conn_send (proxy->conn, &req, sizeof req);
  if (rc == 0)
    rc = plab_conn_recv (proxy->conn, &rep, sizeof rep, &got, -1);
  if (rc == 0 && got != sizeof rep)
    rc = PLAB_EPROTO;
  if (plab_tracing ())
    {
      char label[PLAB_LABEL_MAX];
      snprintf (label, sizeof label, "manager: %s %s", names[op], key);
      plab_span (PLAB_SPAN_QUEUE_WAIT, t0, plab_now_ns (), -1, label);
    }
  if (rc != 0)
    return rc;
  if (rep.rc == 0 && out != NULL)
    *out = rep.value;
  return rep.rc;
}

int
plab_proxy_add (PlabProxy *proxy, const char *key, int64_t delta, int64_t *value)
{
  return call (proxy, OP_ADD, key, delta, value);
}

int
plab_proxy_set (PlabProxy *proxy, const char *key, int64_t value)
{
  return call (proxy, OP_SET, key, value, NULL);
}

int
plab_proxy_get (PlabProxy *proxy, const char *key, int64_t *value)
{
  return call (proxy, OP_GET, key, 0, value);
}
