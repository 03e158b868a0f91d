/* The process's own figures (ol__process_info): read from /proc/self, and
 * from made-up /proc files whose members are odd, missing or malformed. */
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "core/json.h"
#include "core/process_info.h"

/* A directory with a stat and a status file (either NULL: left out). */
static char *
s_fake_proc (const char *stat, const char *status)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("ol-proc-XXXXXX", &error);

  g_assert_no_error (error);
  if (stat != NULL)
    {
      g_autofree char *path = g_build_filename (dir, "stat", NULL);
      g_assert_true (g_file_set_contents (path, stat, -1, NULL));
    }
  if (status != NULL)
    {
      g_autofree char *path = g_build_filename (dir, "status", NULL);
      g_assert_true (g_file_set_contents (path, status, -1, NULL));
    }
  return dir;
}

static void
s_remove (const char *dir)
{
  g_autofree char *stat = g_build_filename (dir, "stat", NULL);
  g_autofree char *status = g_build_filename (dir, "status", NULL);

  g_unlink (stat);
  g_unlink (status);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_self (void)
{
  g_autoptr (json_t) info = ol__process_info ("/proc/self");
  double ticks = (double) sysconf (_SC_CLK_TCK);

  g_assert_cmpint (json_integer_value (json_object_get (info, "pid")), ==, getpid ());
  g_assert_true (json_is_real (json_object_get (info, "cpu_user_s")));
  g_assert_true (json_is_real (json_object_get (info, "cpu_system_s")));
  g_assert_cmpfloat (json_real_value (json_object_get (info, "cpu_user_s")), >=, 0);
  g_assert_cmpfloat (json_real_value (json_object_get (info, "uptime_s")), >=, -1 / ticks);
  g_assert_cmpint (json_integer_value (json_object_get (info, "rss_bytes")), >, 0);
  g_assert_cmpint (json_integer_value (json_object_get (info, "rss_bytes")) % 1024, ==, 0);
  /* This test runs in one thread. */
  g_assert_cmpint (json_integer_value (json_object_get (info, "threads")), ==, 1);
}

static void
test_fake (void)
{
  /* A command name with spaces and parentheses; utime 250 and stime 31
   * ticks, a negative priority field. */
  g_autofree char *dir = s_fake_proc ("77 (a) b (c)) S 1 77 77 0 -1 4194560 100 0 0 0 250 31 "
                                      "0 0 -2 0 13 0 5 1000 200 18446744073709551615\n",
                                      "Name:\tx\nVmRSS:\t   2048 kB\nThreads:\t13\n");
  g_autoptr (json_t) info = ol__process_info (dir);
  double ticks = (double) sysconf (_SC_CLK_TCK);

  g_assert_cmpfloat_with_epsilon (json_real_value (json_object_get (info, "cpu_user_s")),
                                  250 / ticks, 1e-9);
  g_assert_cmpfloat_with_epsilon (json_real_value (json_object_get (info, "cpu_system_s")),
                                  31 / ticks, 1e-9);
  g_assert_cmpint (json_integer_value (json_object_get (info, "rss_bytes")), ==, 2048 * 1024);
  g_assert_cmpint (json_integer_value (json_object_get (info, "threads")), ==, 13);
  /* Started 5 ticks after boot: up nearly as long as the system. */
  g_assert_true (json_is_real (json_object_get (info, "uptime_s")));
  s_remove (dir);
}

static void
test_missing_and_malformed (void)
{
  static const struct { const char *stat, *status; } cases[] = {
    { NULL, NULL },
    { "77 (x S 1 2 3\n", "VmRSS: lots kB\nThreads: -1\n" },
    { "77 (x) S 1 2\n", "VmRSS:\t2048 MB\n" },
    { "77 (x) S 1 77 77 0 -1 4194560 100 0 0 0 a b 0 0 20 0 1 0 5\n",
      "VmRSS:\t99999999999999999999 kB\nThreads:\t1x\n" },
    { "", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = s_fake_proc (cases[i].stat, cases[i].status);
      g_autoptr (json_t) info = ol__process_info (dir);

      /* Only what could be read: the pid. */
      g_assert_cmpuint (json_object_size (info), ==, 1);
      g_assert_cmpint (json_integer_value (json_object_get (info, "pid")), ==, getpid ());
      s_remove (dir);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/process-info/self", test_self);
  g_test_add_func ("/core/process-info/fake", test_fake);
  g_test_add_func ("/core/process-info/missing-and-malformed", test_missing_and_malformed);
  return g_test_run ();
}
