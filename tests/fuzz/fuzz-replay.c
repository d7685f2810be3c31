/* fuzz-replay.c: feeds files to a fuzz target, in the main test suite.
 *
 * Built with the project's compiler around one target's
 * LLVMFuzzerTestOneInput (). Every file in the folders named by
 * PLAB_FUZZ_REPLAY_DIRS (colon-separated: the target's regressions and
 * committed seeds) is one test case, run in a child process so that a
 * crash fails that case alone and names the file.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "plab-fuzz.h"
#include "tmp-test-util.h"

#ifndef PLAB_FUZZ_TARGET
#error "PLAB_FUZZ_TARGET names the target"
#endif
#ifndef PLAB_FUZZ_REPLAY_DIRS
#error "PLAB_FUZZ_REPLAY_DIRS lists the folders to replay"
#endif

static void
replay_file (gconstpointer data)
{
  const char *path = data;

  if (g_test_subprocess ())
    {
      GError *error = NULL;
      char *contents = NULL;
      gsize len = 0;
      int argc = 0;
      char **argv = NULL;

      g_file_get_contents (path, &contents, &len, &error);
      g_assert_no_error (error);
      LLVMFuzzerInitialize (&argc, &argv);
      g_assert_cmpint (LLVMFuzzerTestOneInput ((const uint8_t *)contents, len), ==, 0);
      g_free (contents);
      return;
    }
  /* The target's work files go to a folder of this case, removed even when
   * the child died before it could clean up. */
  {
    char *tmp = tmp_test_dir_new ("plab-fuzz-replay-XXXXXX", NULL);
    char *old = g_strdup (g_getenv ("TMPDIR"));

    g_setenv ("TMPDIR", tmp, TRUE);
    g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
    tmp_test_restore_env ("TMPDIR", old);
    tmp_test_dir_free (tmp, NULL);
  }
  g_test_trap_assert_passed ();
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

int
main (int argc, char **argv)
{
  char **dirs = g_strsplit (PLAB_FUZZ_REPLAY_DIRS, ":", -1);
  /* The file paths the tests are given; held here, not by the tests, because
   * GLib frees a test's data only after running it, and a subprocess run of
   * one test registers them all. */
  GPtrArray *file_paths = g_ptr_array_new_with_free_func (g_free);
  int n = 0, rc;

  g_test_init (&argc, &argv, NULL);
  /* One file failing does not stop the others. */
  g_test_set_nonfatal_assertions ();
  for (char **d = dirs; *d != NULL; d++)
    {
      GDir *dir = g_dir_open (*d, 0, NULL);
      GPtrArray *names;
      g_autofree char *base = g_path_get_basename (*d);
      const char *name;

      if (dir == NULL)
        continue;
      names = g_ptr_array_new_with_free_func (g_free);
      while ((name = g_dir_read_name (dir)) != NULL)
        if (name[0] != '.' && strcmp (name, "README") != 0)
          g_ptr_array_add (names, g_strdup (name));
      g_dir_close (dir);
      g_ptr_array_sort (names, compare_names);
      for (guint i = 0; i < names->len; i++)
        {
          const char *file = g_ptr_array_index (names, i);
          char *test_path = g_strdup_printf ("/fuzz/%s/%s/%s", PLAB_FUZZ_TARGET, base, file);
          char *file_path = g_build_filename (*d, file, NULL);

          g_ptr_array_add (file_paths, file_path);
          g_test_add_data_func (test_path, file_path, replay_file);
          g_free (test_path);
          n++;
        }
      g_ptr_array_unref (names);
    }
  g_strfreev (dirs);
  if (n == 0)
    g_test_message ("nothing to replay for %s", PLAB_FUZZ_TARGET);
  rc = g_test_run ();
  g_ptr_array_unref (file_paths);
  return rc;
}
