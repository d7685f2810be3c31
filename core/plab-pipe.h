/* plab-pipe.h: a duplex connection between two processes (or threads) carrying
 * framed byte messages, like the two ends of Python's multiprocessing.Pipe ().
 *
 * Make the pipe before forking; then each side closes the end it does not use,
 * so that the other side sees end of file when it goes away. A frame carries a
 * magic word and a length checked against the pipe's size limit: a malformed,
 * truncated or oversized frame is an error (PLAB_EPROTO), never a crash.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PlabConn PlabConn;

#define PLAB_PIPE_DEFAULT_MAX (16u << 20)

/* Creates both ends. @max_message 0: PLAB_PIPE_DEFAULT_MAX. Returns 0 or PLAB_ESYS. */
int plab_pipe_new (const char *name, size_t max_message, PlabConn **end_a, PlabConn **end_b);

/* Closes the end and frees it. */
void plab_conn_close (PlabConn *self);

/* Sends one message. Returns 0, PLAB_EMSGSIZE, PLAB_ECLOSED (the other end is gone). */
int plab_conn_send (PlabConn *self, const void *data, size_t size);

/* Receives one message into @buf. Returns 0, PLAB_ETIMEDOUT, PLAB_ECLOSED at
 * end of file, PLAB_EPROTO for a malformed frame (the connection is then
 * unusable), PLAB_EMSGSIZE when @buf is too small (the message stays;
 * *size_out says how large it is), or PLAB_ECANCELLED when the calling
 * thread's cancel flag went up while it waited (plab-error.h). Timeouts:
 * negative forever, 0 only looks. */
int plab_conn_recv (PlabConn *self,
                    void *buf,
                    size_t buf_size,
                    size_t *size_out,
                    int64_t timeout_ns);

/* 1 when a message (or end of file) can be read without blocking, 0 when the
 * timeout passed first, or a negative code (PLAB_ECANCELLED as for recv). */
int plab_conn_poll (PlabConn *self, int64_t timeout_ns);

/* The underlying file descriptor, for poll () loops. */
int plab_conn_fd (const PlabConn *self);

/* The frame decoder, exposed for tests and fuzzing. Looks at @len bytes: when
 * they start with a complete valid frame, stores its payload offset and size
 * and returns the frame's total length; returns 0 when more bytes are needed,
 * or PLAB_EPROTO when the bytes cannot start a valid frame. */
long plab_frame_decode (const uint8_t *data,
                        size_t len,
                        size_t max_message,
                        size_t *payload_off,
                        size_t *payload_size);

#ifdef __cplusplus
}
#endif
