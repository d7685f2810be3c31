/* A ping-pong over a pipe: the parent sends a number, the child answers with
 * the next one, ROUNDS times. */
#include <plab.h>

#define ROUNDS 500
#define STOP (-1)

/* The child's side: answers each number with the next one, until the end. */
static int
ponger (void *arg)
{
  PlabConn *conn = arg;
  int64_t x;
  size_t size;

  while (plab_conn_recv (conn, &x, sizeof x, &size, -1) == 0 && x != STOP)
    {
      int64_t t0 = plab_now_ns ();

      x = (x * 3 + 1) % 1000003;
      plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), x, "pong");
      if (plab_conn_send (conn, &x, sizeof x) != 0)
        return 1;
    }
  return 0;
}

static int
solve (PlabExercise *ex)
{
  PlabConn *mine = NULL, *theirs = NULL;
  PlabProcess *child;
  int64_t x = (int64_t)(plab_exercise_random (plab_exercise_seed (ex), 0) % 1000003);
  int64_t stop = STOP;
  size_t size;
  int rounds = 0;

  if (plab_pipe_new ("ping-pong", 64, &mine, &theirs) != 0)
    return 1;
  if (plab_exercise_start_workers (ex, "ponger", ponger, theirs, 0, 1, &child) != 0)
    return 1;

  for (int r = 0; r < ROUNDS; r++)
    {
      /* SOLUTION BEGIN: TODO 1: send x to the child (plab_conn_send ()) and receive its
       * answer into x (plab_conn_recv (mine, &x, sizeof x, &size, -1));
       * stop the loop when either fails. */
      if (plab_conn_send (mine, &x, sizeof x) != 0
          || plab_conn_recv (mine, &x, sizeof x, &size, -1) != 0)
        break;
      /* SOLUTION ELSE */
      (void)size;
      /* SOLUTION END */
      x = (x * 7 + 5) % 1000003;
      rounds++;
    }
  plab_conn_send (mine, &stop, sizeof stop); /* the child's loop ends */
  plab_conn_close (mine);
  plab_exercise_join_workers (&child, 1);
  plab_conn_close (theirs);
  plab_exercise_answer (ex, "final", (double)x);
  plab_exercise_answer (ex, "rounds", rounds);
  return 0;
}

int
main (int argc, char **argv)
{
  return plab_exercise_main ("ping-pong", argc, argv, solve);
}
