/* plab-pipe.c: framed messages over a UNIX stream socket pair.
 *
 * A frame is an 8-byte header, the magic "PLM1" and the payload length as
 * little-endian 32-bit words, then the payload. The receiver reads whatever
 * the socket has into its own buffer and cuts frames out of it, so one
 * message costs one recv () in a ping-pong, as a bare socket would.
 */
#include "plab-pipe.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "plab-error.h"
#include "plab-pipe-private.h"
#include "plab-gil.h"
#include "plab-sync-private.h"
#include "plab-trace.h"

#define FRAME_MAGIC 0x314d4c50u /* "PLM1" read as little-endian */
#define HEADER_SIZE 8
#define INITIAL_BUFFER (64 * 1024)

struct PlabConn
{
  int fd;
  int broken;
  size_t max_message;
  char name[32];
  /* Received bytes not yet handed out: [start, end) of buf. */
  uint8_t *buf;
  size_t cap;
  size_t start;
  size_t end;
};

static uint32_t
read_le32 (const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
write_le32 (uint8_t *p, uint32_t v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

long
plab_frame_decode (const uint8_t *data,
                   size_t len,
                   size_t max_message,
                   size_t *payload_off,
                   size_t *payload_size)
{
  uint32_t size;
  uint8_t magic[4];

  write_le32 (magic, FRAME_MAGIC);
  /* A partial magic must already match, so garbage is refused early. */
  if (memcmp (data, magic, len < 4 ? len : 4) != 0)
    return PLAB_EPROTO;
  if (len < HEADER_SIZE)
    return 0;
  size = read_le32 (data + 4);
  if (size > max_message)
    return PLAB_EPROTO;
  if (len - HEADER_SIZE < size)
    return 0;
  *payload_off = HEADER_SIZE;
  *payload_size = size;
  return (long)(HEADER_SIZE + size);
}

static PlabConn *
conn_new (int fd, const char *name, size_t max)
{
  PlabConn *self = calloc (1, sizeof *self);

  if (self == NULL)
    return NULL;
  self->fd = fd;
  self->max_message = max;
  snprintf (self->name, sizeof self->name, "%s", name ? name : "pipe");
  return self;
}

int
plab_pipe_new (const char *name, size_t max_message, PlabConn **end_a, PlabConn **end_b)
{
  int fds[2];

  if (max_message == 0)
    max_message = PLAB_PIPE_DEFAULT_MAX;
  if (max_message > UINT32_MAX - HEADER_SIZE)
    return PLAB_EINVAL;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    return PLAB_ESYS;
  *end_a = conn_new (fds[0], name, max_message);
  *end_b = conn_new (fds[1], name, max_message);
  if (*end_a == NULL || *end_b == NULL)
    {
      free (*end_a);
      free (*end_b);
      close (fds[0]);
      close (fds[1]);
      return PLAB_ENOMEM;
    }
  return 0;
}

void
plab_conn_close (PlabConn *self)
{
  if (self == NULL)
    return;
  close (self->fd);
  free (self->buf);
  free (self);
}

PlabConn *
_plab_conn_from_fd (int fd, const char *name, size_t max_message)
{
  return conn_new (fd, name, max_message == 0 ? PLAB_PIPE_DEFAULT_MAX : max_message);
}

int
plab_conn_fd (const PlabConn *self)
{
  return self->fd;
}

int
plab_conn_send (PlabConn *self, const void *data, size_t size)
{
  uint8_t header[HEADER_SIZE];
  struct iovec iov[2];
  struct msghdr msg = { 0 };
  size_t total = HEADER_SIZE + size, sent = 0;

  if (size > self->max_message)
    return PLAB_EMSGSIZE;
  write_le32 (header, FRAME_MAGIC);
  write_le32 (header + 4, (uint32_t)size);

  while (sent < total)
    {
      ssize_t n;
      int k = 0;

      if (sent < HEADER_SIZE)
        {
          iov[k++] = (struct iovec){ header + sent, HEADER_SIZE - sent };
          iov[k++] = (struct iovec){ (void *)data, size };
        }
      else
        iov[k++] = (struct iovec){ (uint8_t *)data + (sent - HEADER_SIZE), total - sent };
      msg.msg_iov = iov;
      msg.msg_iovlen = k;
      /* MSG_NOSIGNAL: a vanished reader is PLAB_ECLOSED, not a SIGPIPE death. */
      n = sendmsg (self->fd, &msg, MSG_NOSIGNAL);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return errno == EPIPE || errno == ECONNRESET ? PLAB_ECLOSED : PLAB_ESYS;
        }
      sent += (size_t)n;
    }
  return 0;
}

/* Waits until @self is readable or @deadline (-1: forever) passes: 1, 0, or
 * a negative code. A thread that watches a cancel flag polls in slices of
 * PLAB_CANCEL_SLICE_NS and gives up with PLAB_ECANCELLED once it is up. */
static int
wait_readable (PlabConn *self, int64_t deadline)
{
  bool watched = plab_cancel_flag () != NULL;

  for (;;)
    {
      struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
      bool forever = deadline < 0;
      /* Past the deadline is 0 left, never "forever": a poll with no time
       * left, or one interrupted after the deadline, must not block. */
      int64_t left = forever ? 0 : deadline - plab_now_ns ();
      bool sliced;
      int ms;
      int r;

      if (left < 0)
        left = 0;
      sliced = watched && (forever || left > PLAB_CANCEL_SLICE_NS);
      if (watched && plab_cancelled ())
        return PLAB_ECANCELLED;
      if (sliced)
        ms = (int)(PLAB_CANCEL_SLICE_NS / 1000000);
      else if (forever)
        ms = -1;
      else
        ms = left == 0 ? 0 : (int)((left + 999999) / 1000000);
      r = poll (&pfd, 1, ms);
      if (r > 0)
        return 1;
      if (r == 0 && !sliced)
        return 0;
      if (r < 0 && errno != EINTR)
        return PLAB_ESYS;
    }
}

int
plab_conn_poll (PlabConn *self, int64_t timeout_ns)
{
  size_t off, size;

  if (self->end > self->start
      && plab_frame_decode (self->buf + self->start, self->end - self->start, self->max_message,
                            &off, &size)
             != 0)
    return 1;
  return wait_readable (self, timeout_ns < 0 ? -1 : plab_now_ns () + timeout_ns);
}

/* Makes room for at least @need bytes after start. */
static int
reserve (PlabConn *self, size_t need)
{
  if (self->start > 0)
    {
      memmove (self->buf, self->buf + self->start, self->end - self->start);
      self->end -= self->start;
      self->start = 0;
    }
  if (need > self->cap)
    {
      /* Exactly @need: the caller asks for a frame's size or for twice what
       * it holds, so the buffer still grows geometrically, and a frame of
       * 16 MiB and 8 bytes costs that, not 32 MiB. */
      size_t cap = need;
      uint8_t *b;

      b = realloc (self->buf, cap);
      if (b == NULL)
        return PLAB_ENOMEM;
      self->buf = b;
      self->cap = cap;
    }
  return 0;
}

static int
conn_recv_blocking (PlabConn *self,
                    void *buf,
                    size_t buf_size,
                    size_t *size_out,
                    int64_t timeout_ns)
{
  int64_t deadline = timeout_ns < 0 ? -1 : plab_now_ns () + timeout_ns;
  int64_t t0 = -1;
  int rc = 0;

  if (self->broken)
    return PLAB_EPROTO;
  for (;;)
    {
      size_t avail = self->end - self->start, off = 0, size = 0;
      long frame = avail > 0 ? plab_frame_decode (self->buf + self->start, avail, self->max_message,
                                                  &off, &size)
                             : 0;
      ssize_t n;

      if (frame < 0)
        {
          self->broken = 1;
          rc = PLAB_EPROTO;
          break;
        }
      if (frame > 0)
        {
          if (size_out != NULL)
            *size_out = size;
          if (size > buf_size)
            {
              rc = PLAB_EMSGSIZE;
              break;
            }
          memcpy (buf, self->buf + self->start + off, size);
          self->start += (size_t)frame;
          if (self->start == self->end)
            self->start = self->end = 0;
          break;
        }

      /* Need more bytes: room for the whole frame once its header is in, but
       * never more than twice what has arrived. A header alone may claim
       * anything up to the limit; memory follows the bytes that really came. */
      {
        size_t want = avail >= HEADER_SIZE
                          ? HEADER_SIZE + (size_t)read_le32 (self->buf + self->start + 4)
                          : INITIAL_BUFFER;
        size_t grown = avail > INITIAL_BUFFER / 2 ? 2 * avail : INITIAL_BUFFER;

        rc = reserve (self, want < grown ? want : grown);
      }
      if (rc != 0)
        break;
      /* Without a deadline or a cancel flag to watch, recv () itself blocks. */
      if (deadline >= 0 || plab_cancel_flag () != NULL)
        {
          int r = wait_readable (self, deadline);
          if (r == 0)
            {
              rc = PLAB_ETIMEDOUT;
              break;
            }
          if (r < 0)
            {
              rc = r;
              break;
            }
        }
      if (t0 < 0)
        t0 = plab_now_ns ();
      n = recv (self->fd, self->buf + self->end, self->cap - self->end, 0);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          rc = errno == ECONNRESET ? PLAB_ECLOSED : PLAB_ESYS;
          break;
        }
      if (n == 0)
        {
          /* End of file: clean between frames, truncated inside one. */
          rc = self->end > self->start ? PLAB_EPROTO : PLAB_ECLOSED;
          if (rc == PLAB_EPROTO)
            self->broken = 1;
          break;
        }
      self->end += (size_t)n;
    }

  if (t0 >= 0 && plab_now_ns () - t0 > 20000 && plab_tracing ())
    {
      /* Only waits long enough to see are worth a span. */
      char label[PLAB_LABEL_MAX];
      snprintf (label, sizeof label, "wait: pipe %s", self->name);
      plab_span (PLAB_SPAN_QUEUE_WAIT, t0, plab_now_ns (), -1, label);
    }
  return rc;
}

int
plab_conn_recv (PlabConn *self, void *buf, size_t buf_size, size_t *size_out, int64_t timeout_ns)
{
  bool gil = _plab_gil_let_go (timeout_ns);

  return _plab_gil_back (gil, conn_recv_blocking (self, buf, buf_size, size_out, timeout_ns));
}
