/* tmp-test-util.h: temporary folders for the tests that write files.
 *
 * A test that writes a run store, an export or a fuzz target's work files
 * does it in a fresh folder of its own, made by tmp_test_dir_new () and
 * removed with everything in it by tmp_test_remove_tree ().
 */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

/* Makes a fresh folder from @template (as g_dir_make_tmp () does; NULL names
 * it after the test program) and, when @db is not NULL, stores in it the path
 * of a run store "runs.db" in that folder. Free both with g_free (). */
static G_GNUC_UNUSED char *
tmp_test_dir_new (const char *template, char **db)
{
  GError *error = NULL;
  g_autofree char *program = g_path_get_basename (g_get_prgname ());
  g_autofree char *named = g_strdup_printf ("plab-%s-XXXXXX", program);
  char *dir = g_dir_make_tmp (template != NULL ? template : named, &error);

  g_assert_no_error (error);
  if (db != NULL)
    *db = g_build_filename (dir, "runs.db", NULL);
  return dir;
}

/* Removes @path and everything below it. Links are removed, never followed;
 * a folder a test made read-only is made writable again first. */
static G_GNUC_UNUSED void
tmp_test_remove_tree (const char *path)
{
  GDir *dir;
  const char *name;

  g_chmod (path, 0700);
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        tmp_test_remove_tree (child);
      else
        g_unlink (child);
      g_free (child);
    }
  if (dir != NULL)
    g_dir_close (dir);
  g_rmdir (path);
}

/* Removes @dir with everything in it, then frees @dir and @db (which may be
 * NULL), as made by tmp_test_dir_new (). */
static G_GNUC_UNUSED void
tmp_test_dir_free (char *dir, char *db)
{
  tmp_test_remove_tree (dir);
  g_free (dir);
  g_free (db);
}

/* The fixture of a test that needs nothing but a folder of its own and the
 * path of a run store in it; the folder is named after the test program. */
typedef struct
{
  char *dir;
  char *db;
} TmpTestFixture;

static G_GNUC_UNUSED void
tmp_test_fixture_setup (TmpTestFixture *f, gconstpointer data)
{
  f->dir = tmp_test_dir_new (NULL, &f->db);
}

static G_GNUC_UNUSED void
tmp_test_fixture_teardown (TmpTestFixture *f, gconstpointer data)
{
  tmp_test_dir_free (f->dir, f->db);
}

/* Puts environment variable @name back to @old, a copy of its value before
 * the test changed it (NULL: it was not set), and frees @old. */
static G_GNUC_UNUSED void
tmp_test_restore_env (const char *name, char *old)
{
  if (old != NULL)
    g_setenv (name, old, TRUE);
  else
    g_unsetenv (name);
  g_free (old);
}
