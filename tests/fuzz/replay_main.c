/* Replays files (or every file of directories, in name order) through the
 * fuzz target it is linked with, one TAP result per file, named
 * /TARGET/fuzz-replay/FILE after the program TARGET-fuzz-replay. A failing
 * file aborts the program with the text on stderr. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Orders a GPtrArray of strings by name. */
static int
s_compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *target = g_path_get_basename (argv[0]);
  char *suffix = g_strrstr (target, "-fuzz-replay");
  int status = 0;

  if (suffix != NULL)
    *suffix = '\0';

  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (argv[i], 0, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      if (dir == NULL)
        {
          g_ptr_array_add (paths, g_strdup (argv[i]));
          continue;
        }
      while ((name = g_dir_read_name (dir)) != NULL)
        if (name[0] != '.')
          g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_sort (names, s_compare_names);
      for (guint k = 0; k < names->len; k++)
        g_ptr_array_add (paths, g_build_filename (argv[i], names->pdata[k], NULL));
    }
  if (paths->len == 0)
    {
      printf ("1..0 # SKIP no input\n");
      return 0;
    }
  printf ("1..%u\n", paths->len);
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = paths->pdata[i];
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *data = NULL;
      g_autoptr (GError) error = NULL;
      gsize len;

      fflush (stdout);
      if (!g_file_get_contents (path, &data, &len, &error))
        {
          printf ("not ok %u /%s/fuzz-replay/%s # %s\n", i + 1, target, base,
                  error->message);
          status = 1;
          continue;
        }
      LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
      printf ("ok %u /%s/fuzz-replay/%s\n", i + 1, target, base);
    }
  return status;
}
