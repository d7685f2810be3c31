/* test-pipe.c: PlabConn between real processes, and its frame decoder. */
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"
#include "proc-test-util.h"

static void
test_ping_pong_and_eof (void)
{
  PlabConn *a, *b;
  pid_t pid;

  g_assert_cmpint (plab_pipe_new ("pp", 0, &a, &b), ==, 0);
  pid = fork ();
  if (pid == 0)
    {
      char buf[64];
      size_t size;
      plab_conn_close (a);
      /* Echo until the parent closes its end. */
      while (plab_conn_recv (b, buf, sizeof buf, &size, -1) == 0)
        if (plab_conn_send (b, buf, size) != 0)
          _exit (1);
      _exit (0);
    }
  plab_conn_close (b);
  for (int i = 0; i < 1000; i++)
    {
      char msg[32], back[64];
      size_t size = 0;
      int len = g_snprintf (msg, sizeof msg, "message %d", i);
      g_assert_cmpint (plab_conn_send (a, msg, len), ==, 0);
      g_assert_cmpint (plab_conn_recv (a, back, sizeof back, &size, HANG_NS), ==, 0);
      g_assert_cmpuint (size, ==, (size_t)len);
      g_assert_cmpint (memcmp (msg, back, len), ==, 0);
    }
  plab_conn_close (a);
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);
}

static void
test_order_of_many_and_large (void)
{
  PlabConn *a, *b;
  pid_t pid;
  size_t big = 3 << 20;

  g_assert_cmpint (plab_pipe_new ("bulk", 4 << 20, &a, &b), ==, 0);
  pid = fork ();
  if (pid == 0)
    {
      guint8 *msg = g_malloc (big);
      plab_conn_close (b);
      for (int i = 0; i < 500; i++)
        plab_conn_send (a, &i, sizeof i);
      for (size_t k = 0; k < big; k++)
        msg[k] = (guint8)(k * 7);
      plab_conn_send (a, msg, big);
      plab_conn_close (a);
      _exit (0);
    }
  plab_conn_close (a);
  for (int i = 0; i < 500; i++)
    {
      int v = -1;
      g_assert_cmpint (plab_conn_recv (b, &v, sizeof v, NULL, HANG_NS), ==, 0);
      g_assert_cmpint (v, ==, i);
    }
  guint8 *buf = g_malloc (big);
  size_t size = 0;
  g_assert_cmpint (plab_conn_recv (b, buf, 10, &size, HANG_NS), ==, PLAB_EMSGSIZE);
  g_assert_cmpuint (size, ==, big);
  g_assert_cmpint (plab_conn_recv (b, buf, big, &size, HANG_NS), ==, 0);
  for (size_t k = 0; k < big; k++)
    if (buf[k] != (guint8)(k * 7))
      g_assert_not_reached ();
  g_assert_cmpint (plab_conn_recv (b, buf, big, &size, HANG_NS), ==, PLAB_ECLOSED);
  g_free (buf);
  plab_conn_close (b);
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);
}

static void
test_timeout_poll_and_limits (void)
{
  PlabConn *a, *b;
  char buf[16];
  char big[200];

  g_assert_cmpint (plab_pipe_new ("t", 100, &a, &b), ==, 0);
  g_assert_cmpint (plab_conn_poll (b, 10 * 1000000LL), ==, 0);
  g_assert_cmpint (plab_conn_recv (b, buf, sizeof buf, NULL, 10 * 1000000LL), ==, PLAB_ETIMEDOUT);
  /* No time at all, and a timeout just past the cancel slice, on an empty
   * connection: an answer, never a wait for data that does not come. Both
   * with and without a cancel flag watched (which polls in slices). */
  for (int watch = 0; watch < 2; watch++)
    {
      static volatile sig_atomic_t flag = 0;
      const volatile sig_atomic_t *before = plab_cancel_watch (watch ? &flag : NULL);

      g_assert_cmpint (plab_conn_poll (b, 0), ==, 0);
      g_assert_cmpint (plab_conn_recv (b, buf, sizeof buf, NULL, 0), ==, PLAB_ETIMEDOUT);
      g_assert_cmpint (plab_conn_poll (b, PLAB_CANCEL_SLICE_NS + 500000), ==, 0);
      plab_cancel_watch (before);
    }
  g_assert_cmpint (plab_conn_send (a, big, sizeof big), ==, PLAB_EMSGSIZE);
  g_assert_cmpint (plab_conn_send (a, "hi", 2), ==, 0);
  g_assert_cmpint (plab_conn_poll (b, 1000000000LL), ==, 1);
  plab_conn_close (b);
  /* The reader is gone: an error, not a SIGPIPE. */
  g_assert_cmpint (plab_conn_send (a, "x", 1), ==, PLAB_ECLOSED);
  plab_conn_close (a);
}

static void
test_malformed_and_truncated (void)
{
  PlabConn *a, *b;
  char buf[64];

  /* Garbage on the wire. */
  g_assert_cmpint (plab_pipe_new ("bad", 1000, &a, &b), ==, 0);
  g_assert_cmpint (write (plab_conn_fd (a), "GARBAGE!", 8), ==, 8);
  g_assert_cmpint (plab_conn_recv (b, buf, sizeof buf, NULL, 1000000000LL), ==, PLAB_EPROTO);
  g_assert_cmpint (plab_conn_recv (b, buf, sizeof buf, NULL, 0), ==, PLAB_EPROTO);
  plab_conn_close (a);
  plab_conn_close (b);

  /* A frame claiming more than the limit. */
  g_assert_cmpint (plab_pipe_new ("huge", 1000, &a, &b), ==, 0);
  guint8 hdr[8] = { 'P', 'L', 'M', '1', 0xff, 0xff, 0xff, 0x7f };
  g_assert_cmpint (write (plab_conn_fd (a), hdr, 8), ==, 8);
  g_assert_cmpint (plab_conn_recv (b, buf, sizeof buf, NULL, 1000000000LL), ==, PLAB_EPROTO);
  plab_conn_close (a);
  plab_conn_close (b);

  /* A frame cut short by the writer going away. */
  g_assert_cmpint (plab_pipe_new ("cut", 1000, &a, &b), ==, 0);
  guint8 part[10] = { 'P', 'L', 'M', '1', 50, 0, 0, 0, 1, 2 };
  g_assert_cmpint (write (plab_conn_fd (a), part, 10), ==, 10);
  plab_conn_close (a);
  g_assert_cmpint (plab_conn_recv (b, buf, sizeof buf, NULL, 1000000000LL), ==, PLAB_EPROTO);
  plab_conn_close (b);
}

static void
test_decoder_random_bytes (void)
{
  GRand *r = g_rand_new_with_seed (7);
  guint8 data[64];

  /* Random input never decodes to a frame reaching past its bytes. */
  for (int i = 0; i < 200000; i++)
    {
      size_t len = g_rand_int_range (r, 0, sizeof data + 1), off = 0, size = 0;
      for (size_t k = 0; k < len; k++)
        data[k] = (guint8)g_rand_int (r);
      if (i % 3 == 0 && len >= 4)
        memcpy (data, "PLM1", 4);
      long n = plab_frame_decode (data, len, 32, &off, &size);
      if (n > 0)
        {
          g_assert_cmpuint ((size_t)n, <=, len);
          g_assert_cmpuint (off + size, ==, (size_t)n);
          g_assert_cmpuint (size, <=, 32);
        }
      else
        g_assert_true (n == 0 || n == PLAB_EPROTO);
    }
  g_rand_free (r);
}

/* A header claiming a message near the limit, followed by a few bytes, must
 * not make the receiver allocate the whole claim before the bytes arrive
 * (found by fuzzing: the buffer went to 4 GiB for 80 bytes). The receiver
 * runs in a child whose address space is capped far below the claim. */
static void
test_huge_claim_costs_little (void)
{
  PlabConn *a, *b;
  guint8 frame[8 + 64] = { 'P', 'L', 'M', '1', 0x00, 0x00, 0x00, 0xf0 };
  unsigned long vm_pages = 0;
  FILE *statm;
  pid_t pid;

#if defined(__SANITIZE_ADDRESS__)
  g_test_skip ("an address-space cap does not work under AddressSanitizer");
  return;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  g_test_skip ("an address-space cap does not work under AddressSanitizer");
  return;
#endif
#endif
  memset (frame + 8, 'x', 64);
  g_assert_cmpint (plab_pipe_new ("claim", UINT32_MAX - 8, &a, &b), ==, 0);
  pid = fork ();
  if (pid == 0)
    {
      struct rlimit cap;
      char buf[16];
      int rc;

      plab_conn_close (a);
      statm = fopen ("/proc/self/statm", "r");
      if (statm == NULL || fscanf (statm, "%lu", &vm_pages) != 1)
        _exit (3);
      fclose (statm);
      /* What the process has now, plus 256 MiB: far below the 3.75 GiB claimed. */
      cap.rlim_cur = cap.rlim_max = vm_pages * (rlim_t)sysconf (_SC_PAGESIZE) + (256u << 20);
      if (setrlimit (RLIMIT_AS, &cap) != 0)
        _exit (4);
      rc = plab_conn_recv (b, buf, sizeof buf, NULL, HANG_NS);
      /* The writer went away mid-frame: malformed, not out of memory. */
      _exit (rc == PLAB_EPROTO ? 0 : rc == PLAB_ENOMEM ? 1 : 2);
    }
  plab_conn_close (b);
  g_assert_cmpint (write (plab_conn_fd (a), frame, sizeof frame), ==, sizeof frame);
  plab_conn_close (a);
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);
}

typedef struct
{
  PlabConn *conn;
  volatile sig_atomic_t cancel;
  int rc;
  int64_t returned_ns;
} CancelReceiver;

static gpointer
cancel_receiver_thread (gpointer data)
{
  CancelReceiver *r = data;
  char buf[16];

  plab_cancel_watch (&r->cancel);
  r->rc = plab_conn_recv (r->conn, buf, sizeof buf, NULL, -1);
  __atomic_store_n (&r->returned_ns, plab_now_ns (), __ATOMIC_RELEASE);
  plab_cancel_watch (NULL);
  return NULL;
}

/* A receive waiting forever on a quiet pipe ends with PLAB_ECANCELLED once
 * the flag its thread watches goes up, and not before; the pipe still works. */
static void
test_cancel_wakes_recv (void)
{
  PlabConn *a, *b;
  CancelReceiver r = { 0 };
  char buf[16];

  g_assert_cmpint (plab_pipe_new ("stop", 0, &a, &b), ==, 0);
  r.conn = b;
  g_assert_cmpint (proc_test_cancel_blocked (cancel_receiver_thread, &r, &r.cancel, &r.returned_ns),
                   <, HANG_NS);
  g_assert_cmpint (r.rc, ==, PLAB_ECANCELLED);
  g_assert_cmpint (plab_conn_send (a, "hi", 3), ==, 0);
  g_assert_cmpint (plab_conn_recv (b, buf, sizeof buf, NULL, HANG_NS), ==, 0);
  g_assert_cmpstr (buf, ==, "hi");
  plab_conn_close (a);
  plab_conn_close (b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/pipe/ping-pong-eof", test_ping_pong_and_eof);
  g_test_add_func ("/plab/pipe/order-and-large", test_order_of_many_and_large);
  g_test_add_func ("/plab/pipe/timeout-poll-limits", test_timeout_poll_and_limits);
  g_test_add_func ("/plab/pipe/malformed-truncated", test_malformed_and_truncated);
  g_test_add_func ("/plab/pipe/decoder-random", test_decoder_random_bytes);
  g_test_add_func ("/plab/pipe/huge-claim-costs-little", test_huge_claim_costs_little);
  g_test_add_func ("/plab/pipe/cancel-wakes-recv", test_cancel_wakes_recv);
  return g_test_run ();
}
