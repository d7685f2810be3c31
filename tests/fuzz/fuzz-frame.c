/* fuzz-frame.c: the pipe's frame decoder, against the frame format and
 * against the connection that uses it.
 *
 * Input: byte 0 picks the size limit, byte 1 the receiver's buffer size, and
 * the rest is a byte stream as it could arrive on a pipe. Checked:
 *
 * - plab_frame_decode () on the stream agrees with a model of the format
 *   ("PLM1", a little-endian 32-bit length, the payload): a frame lies
 *   inside the bytes, within the limit, and its header says its length;
 *   nothing is stored when there is no frame.
 * - Its answer is stable as bytes arrive: a prefix of a frame needs more
 *   bytes, more bytes after a frame do not change it, and bytes that cannot
 *   start a frame stay refused.
 * - Every frame decoded, sent again with plab_conn_send (), goes on the wire
 *   byte for byte as it came.
 * - The stream written raw into a real pipe and read with plab_conn_recv ()
 *   gives exactly the decoded frames, in order, then end of file, or
 *   PLAB_EPROTO where the model says the bytes are malformed or cut short;
 *   a buffer too small gives PLAB_EMSGSIZE and leaves the message to be read.
 */
#include "plab-fuzz.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "plab.h"

#define HEADER 8
/* Larger streams are only decoded, not written to a pipe: the socket's
 * buffer must hold the whole stream, since nothing reads while we write. */
#define PIPE_STREAM_MAX (64 * 1024)
#define MAX_FRAMES 256

static const size_t limits[] = {
  0,
  1,
  7,
  8,
  16,
  64,
  255,
  1000,
  4096,
  65536,
  PLAB_PIPE_DEFAULT_MAX,
  UINT32_MAX - HEADER,
  (size_t)UINT32_MAX - HEADER + 1,
  SIZE_MAX,
};

static const size_t buffer_sizes[] = { 0, 1, 7, 8, 16, 100, 1024, 65536 };

static uint32_t
le32 (const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Decodes and checks the answer against the format; returns the answer. */
static long
decode_checked (const uint8_t *s, size_t len, size_t max, size_t *off_out, size_t *size_out)
{
  size_t off = SIZE_MAX, size = SIZE_MAX;
  size_t seen = len < 4 ? len : 4;
  int magic_ok = memcmp (s, "PLM1", seen) == 0;
  long r = plab_frame_decode (s, len, max, &off, &size);

  PLAB_FUZZ_CHECK (r > 0 || r == 0 || r == PLAB_EPROTO);
  if (!magic_ok)
    PLAB_FUZZ_CHECK (r == PLAB_EPROTO);
  if (r > 0)
    {
      PLAB_FUZZ_CHECK (magic_ok && len >= HEADER);
      PLAB_FUZZ_CHECK (off == HEADER);
      PLAB_FUZZ_CHECK (size == le32 (s + 4));
      PLAB_FUZZ_CHECK (size <= max);
      PLAB_FUZZ_CHECK ((size_t)r == off + size);
      PLAB_FUZZ_CHECK ((size_t)r <= len);
    }
  else
    {
      /* No frame: the outputs are left alone. */
      PLAB_FUZZ_CHECK (off == SIZE_MAX && size == SIZE_MAX);
      if (r == 0)
        PLAB_FUZZ_CHECK (magic_ok
                         && (len < HEADER || (le32 (s + 4) <= max && len - HEADER < le32 (s + 4))));
      else
        PLAB_FUZZ_CHECK (!magic_ok || (len >= HEADER && le32 (s + 4) > max));
    }
  if (off_out != NULL)
    *off_out = off;
  if (size_out != NULL)
    *size_out = size;
  return r;
}

/* The answer for every prefix is consistent with the answer for all bytes. */
static void
check_prefixes (const uint8_t *s, size_t len, size_t max, long whole)
{
  size_t probes[24];
  size_t n = 0;

  for (size_t k = 0; k <= len && k <= 16; k++)
    probes[n++] = k;
  if (whole > 0)
    {
      probes[n++] = (size_t)whole - 1;
      probes[n++] = (size_t)whole;
    }
  probes[n++] = len / 2;

  for (size_t i = 0; i < n; i++)
    {
      size_t k = probes[i];
      long r = decode_checked (s, k, max, NULL, NULL);

      if (whole > 0)
        PLAB_FUZZ_CHECK (k < (size_t)whole ? r == 0 : r == whole);
      else if (whole == 0)
        PLAB_FUZZ_CHECK (r == 0);
      else
        PLAB_FUZZ_CHECK (r == 0 || r == PLAB_EPROTO);
      /* Once refused, more bytes cannot make it acceptable. */
      if (r == PLAB_EPROTO)
        PLAB_FUZZ_CHECK (whole == PLAB_EPROTO);
    }
}

/* Reads exactly @len bytes from @fd, or fails the check. */
static void
read_exactly (int fd, uint8_t *buf, size_t len)
{
  size_t got = 0;

  while (got < len)
    {
      ssize_t n = recv (fd, buf + got, len - got, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR)
        continue;
      PLAB_FUZZ_CHECK (n > 0);
      got += (size_t)n;
    }
}

/* Sends @len bytes raw to @fd; the socket holds them all. */
static void
write_all (int fd, const uint8_t *buf, size_t len)
{
  size_t sent = 0;

  while (sent < len)
    {
      ssize_t n = send (fd, buf + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      PLAB_FUZZ_CHECK (n > 0);
      sent += (size_t)n;
    }
}

typedef struct
{
  size_t start; /* offset of the frame in the stream */
  size_t off;
  size_t size;
  size_t total;
} Frame;

/* Every frame decoded, sent again, is the same bytes on the wire. */
static void
check_reencode (const uint8_t *s, const Frame *frames, size_t n_frames, size_t max)
{
  PlabConn *a = NULL, *b = NULL;
  uint8_t *wire;

  PLAB_FUZZ_CHECK (plab_pipe_new ("fuzz-send", max, &a, &b) == 0);
  wire = malloc (PIPE_STREAM_MAX + HEADER);
  PLAB_FUZZ_CHECK (wire != NULL);
  for (size_t i = 0; i < n_frames; i++)
    {
      const Frame *f = &frames[i];

      PLAB_FUZZ_CHECK (plab_conn_send (a, s + f->start + f->off, f->size) == 0);
      read_exactly (plab_conn_fd (b), wire, f->total);
      PLAB_FUZZ_CHECK (memcmp (wire, s + f->start, f->total) == 0);
    }
  free (wire);
  plab_conn_close (a);
  plab_conn_close (b);
}

/* The stream through a real connection gives what the decoder says. */
static void
check_receive (const uint8_t *s, size_t len, size_t max, size_t buf_size)
{
  PlabConn *a = NULL, *b = NULL;
  uint8_t *buf = malloc (len + 1);
  size_t pos = 0;
  const int64_t second = 1000000000;

  PLAB_FUZZ_CHECK (buf != NULL);
  PLAB_FUZZ_CHECK (plab_pipe_new ("fuzz-recv", max, &a, &b) == 0);
  write_all (plab_conn_fd (a), s, len);
  /* The writer goes away: what is left after the last frame is cut short. */
  plab_conn_close (a);

  for (int step = 0; step < MAX_FRAMES + 2; step++)
    {
      size_t off = 0, size = 0, got = SIZE_MAX;
      long frame = pos < len ? decode_checked (s + pos, len - pos, max, &off, &size) : 0;
      int rc;

      PLAB_FUZZ_CHECK (plab_conn_poll (b, 0) == 1);
      rc = plab_conn_recv (b, buf, buf_size, &got, second);
      if (pos == len)
        {
          PLAB_FUZZ_CHECK (rc == PLAB_ECLOSED);
          break;
        }
      if (frame <= 0)
        {
          /* Malformed, or a frame the writer did not finish: the connection
           * is unusable from now on. */
          PLAB_FUZZ_CHECK (rc == PLAB_EPROTO);
          PLAB_FUZZ_CHECK (plab_conn_recv (b, buf, len + 1, &got, second) == PLAB_EPROTO);
          break;
        }
      if (size > buf_size)
        {
          PLAB_FUZZ_CHECK (rc == PLAB_EMSGSIZE);
          PLAB_FUZZ_CHECK (got == size);
          /* The message stayed: a large enough buffer gets it. */
          got = SIZE_MAX;
          rc = plab_conn_recv (b, buf, len + 1, &got, second);
        }
      PLAB_FUZZ_CHECK (rc == 0);
      PLAB_FUZZ_CHECK (got == size);
      PLAB_FUZZ_CHECK (memcmp (buf, s + pos + off, size) == 0);
      pos += (size_t)frame;
    }
  plab_conn_close (b);
  free (buf);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Frame frames[MAX_FRAMES];
  size_t n_frames = 0, pos = 0, limit, conn_max, buf_size;
  const uint8_t *s;
  size_t len;
  long r;

  if (size < 2)
    return 0;
  limit = limits[data[0] % (sizeof limits / sizeof limits[0])];
  buf_size = buffer_sizes[data[1] % (sizeof buffer_sizes / sizeof buffer_sizes[0])];
  s = data + 2;
  len = size - 2;

  /* The first frame against the model, then at every prefix. */
  r = decode_checked (s, len, limit, NULL, NULL);
  check_prefixes (s, len, limit, r);

  /* A pipe's limit of 0 means the default; limits beyond 32 bits are refused. */
  conn_max = limit == 0 ? PLAB_PIPE_DEFAULT_MAX : limit;
  if (conn_max > UINT32_MAX - HEADER)
    {
      PlabConn *a = NULL, *b = NULL;
      PLAB_FUZZ_CHECK (plab_pipe_new ("fuzz", conn_max, &a, &b) == PLAB_EINVAL);
      return 0;
    }

  /* The frames of the stream, one after the other, as a receiver cuts them. */
  while (pos < len && n_frames < MAX_FRAMES)
    {
      size_t off, psize;
      long f = decode_checked (s + pos, len - pos, conn_max, &off, &psize);

      if (f <= 0)
        break;
      frames[n_frames++] = (Frame){ .start = pos, .off = off, .size = psize, .total = (size_t)f };
      pos += (size_t)f;
    }

  if (len > PIPE_STREAM_MAX)
    return 0;
  check_reencode (s, frames, n_frames, conn_max);
  if (n_frames < MAX_FRAMES)
    check_receive (s, len, conn_max, buf_size);
  return 0;
}
