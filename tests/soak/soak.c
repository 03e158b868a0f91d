/* Soak test of faults: a demo server U, a relay R1 mounting U as "lab" and a
 * relay R2 mounting R1 as "pc". Clients call through R2, through R1 and
 * directly at a steady rate and subscribe to two streams through R2, while
 * the driver SIGKILLs and restarts a random member at random times (down for
 * 0.2 to 3 s, back on the same ports). Then a SIGSTOP of U for 5 s.
 *
 * Usage: soak [SECONDS]   (180 by default; SOAK_SEED=N repeats a run)
 * Needs OL_BUILD_DIR (./run soak sets it). Prints a summary, TAP lines and
 * "N passed, N failed". */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/testutil.h"

/* The bounds this test holds the library to. */
#define CALL_TIMEOUT_MS 1000
#define CALL_MARGIN_MS 300     /* a call ends by CALL_TIMEOUT_MS + this */
#define CALL_PERIOD_MS 50      /* each caller thread: one call every 50 ms */
#define FD_BOUND 16            /* fds a survivor may gain from warm-up to end */
#define RSS_BOUND_KB (32 * 1024) /* RSS (kB) a survivor may gain */
#define SETTLE_US (2 * G_USEC_PER_SEC) /* after a restart, before "all up" */

enum { U, R1, R2, N_MEMBERS };
static const char *const member_names[N_MEMBERS] = { "U", "R1", "R2" };

typedef struct {
  TuProcess *proc;
  char *rpc, *stream;       /* fixed after the first start */
  int kills;
  gint64 started;           /* monotonic time of this instance's start */
  gboolean have_base;       /* base_* measured on this instance */
  int base_fds, end_fds;
  long base_rss, end_rss;
  gboolean base_at_warmup;  /* baseline of the warm-up, not of a restart */
} Member;

static Member members[N_MEMBERS];
static gint down_mask;        /* bit per member down (atomic) */
static gint down_gen[N_MEMBERS]; /* bumped at every kill (atomic) */
static gint64 all_up_since;   /* atomic: up-from time, G_MAXINT64 while one is down */
#define UP_SINCE_GET() __atomic_load_n (&all_up_since, __ATOMIC_SEQ_CST)
#define UP_SINCE_SET(v) __atomic_store_n (&all_up_since, (v), __ATOMIC_SEQ_CST)
static gint stop_flag;

/* ---- /proc ------------------------------------------------------------- */

static int
s_fd_count (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", pid);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  int n = 0;

  if (dir == NULL)
    return -1;
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static long
s_rss_kb (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", pid);
  g_autofree char *text = NULL;
  const char *at;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  at = strstr (text, "VmRSS:");
  return at ? atol (at + 6) : -1;
}

static const char *
s_pid (Member *m)
{
  return g_subprocess_get_identifier (m->proc->proc);
}

/* ---- members ----------------------------------------------------------- */

static char *
s_field (const char *line, const char *key)
{
  const char *at = strstr (line, key);

  if (at == NULL)
    return NULL;
  at += strlen (key);
  return g_strndup (at, strcspn (at, " \n"));
}

/* Starts member i (on its former ports if it ran before). FALSE if it did
 * not serve within 10 s, five times over (a port taken meanwhile). */
static gboolean
s_start (int i)
{
  Member *m = &members[i];
  g_autofree char *mount = NULL;

  if (i == R1)
    mount = g_strdup_printf ("lab=%s,%s", members[U].rpc, members[U].stream);
  else if (i == R2)
    mount = g_strdup_printf ("pc=%s,%s", members[R1].rpc, members[R1].stream);
  for (int attempt = 0; attempt < 5; attempt++)
    {
      const char *argv[] = { i == U ? "tools/oneliner-demo-server" : "oneliner-relay",
                             "--rpc", m->rpc ? m->rpc : "tcp://127.0.0.1:*",
                             "--stream", m->stream ? m->stream : "tcp://127.0.0.1:*",
                             i == U ? "--speed" : "--mount", i == U ? "0" : mount, NULL };
      TuProcess *p = tu_spawn (argv);
      g_autofree char *line = tu_wait_line (p, "serving", 10000);

      if (line != NULL)
        {
          m->proc = p;
          m->started = g_get_monotonic_time ();
          m->have_base = FALSE;
          if (m->rpc == NULL)
            {
              m->rpc = s_field (line, "rpc ");
              m->stream = s_field (line, "stream ");
            }
          return TRUE;
        }
      g_printerr ("soak: %s did not start (attempt %d): %s\n", member_names[i],
                  attempt + 1, p->lines->str);
      tu_process_free (p);
      g_usleep (300 * 1000);
    }
  return FALSE;
}

static void
s_kill (int i)
{
  Member *m = &members[i];

  g_atomic_int_inc (&down_gen[i]);
  g_atomic_int_or (&down_mask, 1u << i);
  UP_SINCE_SET (G_MAXINT64);
  if (!tu_kill_wait (m->proc, SIGKILL, 10000, NULL))
    g_error ("%s did not die of SIGKILL within 10 s", member_names[i]);
  tu_process_free (m->proc);
  m->proc = NULL;
  m->kills++;
}

static void
s_measure (Member *m, gboolean base)
{
  const char *pid = s_pid (m);

  if (base)
    {
      m->base_fds = s_fd_count (pid);
      m->base_rss = s_rss_kb (pid);
      m->have_base = TRUE;
    }
  else
    {
      m->end_fds = s_fd_count (pid);
      m->end_rss = s_rss_kb (pid);
    }
}

/* Waits until the monotonic time until; an instance started since the
 * warm-up gets its baseline once it has run SETTLE_US. */
static void
s_pause (gint64 until)
{
  while (g_get_monotonic_time () < until)
    {
      for (int k = 0; k < N_MEMBERS; k++)
        if (members[k].proc && !members[k].have_base
            && g_get_monotonic_time () - members[k].started >= SETTLE_US)
          s_measure (&members[k], TRUE);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
}

/* ---- callers ----------------------------------------------------------- */

typedef struct {
  const char *label;
  int member;               /* the member the client connects to */
  guint path_mask;          /* members the call crosses */
  const char *instance;
  /* results */
  guint64 calls, ok, failed, failed_overlap, ok_whole_down, over_bound;
  gint64 worst_us, worst_failed_us;
  guint64 failed_all_up;    /* failed though every member was up throughout */
  gint64 worst_recovery_us; /* of those: latest start after the last restart */
  GHashTable *codes;        /* error code name -> count */
  GThread *thread;
} Caller;

static gpointer
s_caller_thread (gpointer data)
{
  Caller *c = data;
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  json_t *args = json_pack ("[i]", 1);

  g_main_context_push_thread_default (ctx);
  client = ol_client_new (members[c->member].rpc, NULL, &error);
  g_assert_no_error (error);
  ol_client_set_timeout (client, CALL_TIMEOUT_MS);
  while (!g_atomic_int_get (&stop_flag))
    {
      gint64 next = g_get_monotonic_time () + CALL_PERIOD_MS * 1000;
      guint mask0 = (guint) g_atomic_int_get (&down_mask) & c->path_mask;
      int gens0[N_MEMBERS], gens_same = TRUE;
      gint64 t0, dt;
      json_t *r;
      guint mask1;

      for (int i = 0; i < N_MEMBERS; i++)
        gens0[i] = g_atomic_int_get (&down_gen[i]);
      t0 = g_get_monotonic_time ();
      r = ol_client_call (client, c->instance, "position", args, NULL, &error);
      dt = g_get_monotonic_time () - t0;
      mask1 = (guint) g_atomic_int_get (&down_mask) & c->path_mask;
      for (int i = 0; i < N_MEMBERS; i++)
        if ((c->path_mask & (1u << i)) && gens0[i] != g_atomic_int_get (&down_gen[i]))
          gens_same = FALSE;
      c->calls++;
      c->worst_us = MAX (c->worst_us, dt);
      if (dt > (CALL_TIMEOUT_MS + CALL_MARGIN_MS) * 1000)
        c->over_bound++;
      if (r != NULL)
        {
          c->ok++;
          /* A member of the path down from before the call to after it, the
           * same downtime: the call cannot have crossed it. */
          if ((mask0 & mask1) && gens_same)
            c->ok_whole_down++;
          json_decref (r);
        }
      else
        {
          const char *code = error->domain == OL_ERROR ? ol_error_code_name (error->code)
                                                       : g_quark_to_string (error->domain);
          gpointer n = g_hash_table_lookup (c->codes, code);

          g_hash_table_insert (c->codes, (gpointer) code, GSIZE_TO_POINTER (GPOINTER_TO_SIZE (n) + 1));
          c->failed++;
          if (mask0 || mask1 || !gens_same)
            c->failed_overlap++;
          else
            {
              gint64 up = UP_SINCE_GET ();

              c->failed_all_up++;
              if (up != G_MAXINT64 && up <= t0)
                c->worst_recovery_us = MAX (c->worst_recovery_us, t0 - up);
            }
          c->worst_failed_us = MAX (c->worst_failed_us, dt);
          g_clear_error (&error);
        }
      while (g_main_context_iteration (ctx, FALSE))
        ;
      if (next > g_get_monotonic_time ())
        g_usleep ((gulong) (next - g_get_monotonic_time ()));
    }
  json_decref (args);
  g_main_context_pop_thread_default (ctx);
  return NULL;
}

/* ---- stream reader ----------------------------------------------------- */

#define N_STREAMS 2
static const char *const stream_names[N_STREAMS] = { "pc/lab/sensor/sine",
                                                     "pc/lab/sensor/temperature" };

typedef struct {
  guint64 received, errors, epochs, span;   /* span: sum of last - first + 1 */
  guint64 first, last;
  gboolean any;
  guint64 stable_gaps;      /* messages lost between two messages taken while
                               every member was up and settled */
  gint64 last_take;         /* when the previous message was taken */
  OlStreamCounters counters;
} StreamTrack;

static StreamTrack tracks[N_STREAMS];

/* One message taken: a sequence number at or below the last one starts a
 * new epoch (the stream's server restarted), as the client API counts it. */
static void
s_track (StreamTrack *t, guint64 seq)
{
  t->received++;
  if (!t->any)
    {
      t->epochs = 1;
      t->first = seq;
    }
  else if (seq <= t->last)
    {
      t->span += t->last - t->first + 1;
      t->epochs++;
      t->first = seq;
    }
  t->any = TRUE;
  t->last = seq;
}

static gpointer
s_reader_thread (gpointer data)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;

  (void) data;
  g_main_context_push_thread_default (ctx);
  client = ol_client_new (members[R2].rpc, members[R2].stream, &error);
  g_assert_no_error (error);
  for (int s = 0; s < N_STREAMS; s++)
    {
      ol_client_configure_stream (client, stream_names[s], OL_STORAGE_QUEUE, 65536, &error);
      g_assert_no_error (error);
    }
  while (!g_atomic_int_get (&stop_flag))
    {
      for (int s = 0; s < N_STREAMS; s++)
        {
          StreamTrack *t = &tracks[s];
          OlStreamMessage *m;

          while ((m = ol_client_get_stream (client, stream_names[s], s == 0 ? 20 : 0,
                                            &error)) != NULL)
            {
              gint64 now = g_get_monotonic_time ();
              gint64 settled = UP_SINCE_GET ();

              if (t->any && m->sequence > t->last + 1 && settled != G_MAXINT64
                  && t->last_take >= settled + SETTLE_US)
                t->stable_gaps += m->sequence - t->last - 1;
              s_track (t, m->sequence);
              t->last_take = now;
              ol_stream_message_free (m);
              /* A stream that never pauses 20 ms would keep this loop
               * going past the end. */
              if (g_atomic_int_get (&stop_flag))
                break;
            }
          if (error != NULL && (error->domain != OL_ERROR || error->code != OL_ERROR_TIMEOUT))
            t->errors++;  /* an error message: counted in received, no sequence */
          g_clear_error (&error);
        }
      while (g_main_context_iteration (ctx, FALSE))
        ;
    }
  for (int s = 0; s < N_STREAMS; s++)
    {
      OlStreamMessage *m;

      /* Take what is left, then read the counters. */
      while ((m = ol_client_get_stream (client, stream_names[s], 0, NULL)) != NULL)
        {
          s_track (&tracks[s], m->sequence);
          ol_stream_message_free (m);
        }
      ol_client_get_stream_counters (client, stream_names[s], &tracks[s].counters, &error);
      g_assert_no_error (error);
    }
  g_main_context_pop_thread_default (ctx);
  return NULL;
}

/* ---- TAP --------------------------------------------------------------- */

static int n_tap, n_passed, n_failed;

static void G_GNUC_PRINTF (2, 3)
s_tap (gboolean ok, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  printf ("%s %d - %s\n", ok ? "ok" : "not ok", ++n_tap, text);
  if (ok)
    n_passed++;
  else
    n_failed++;
  fflush (stdout);
}

/* One call, bounded; returns its duration in µs and whether it succeeded. */
static gboolean
s_call_once (OlClient *client, const char *instance, gint64 *us, char **why)
{
  g_autoptr (GError) error = NULL;
  json_t *args = json_pack ("[i]", 1);
  gint64 t0 = g_get_monotonic_time ();
  json_t *r = ol_client_call (client, instance, "position", args, NULL, &error);

  *us = g_get_monotonic_time () - t0;
  json_decref (args);
  if (r == NULL)
    {
      if (why)
        *why = g_strdup (error->message);
      return FALSE;
    }
  json_decref (r);
  return TRUE;
}

int
main (int argc, char **argv)
{
  int seconds = argc > 1 ? atoi (argv[1]) : 180;
  const char *seed_env = g_getenv ("SOAK_SEED");
  guint32 seed = seed_env ? (guint32) strtoul (seed_env, NULL, 10) : (guint32) g_random_int ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  Caller callers[] = {
    { .label = "via R2", .member = R2, .path_mask = 7, .instance = "pc/lab/stage" },
    { .label = "via R1", .member = R1, .path_mask = 3, .instance = "lab/stage" },
    { .label = "direct", .member = U, .path_mask = 1, .instance = "stage" },
  };
  const int n_callers = G_N_ELEMENTS (callers);
  GThread *reader;
  gint64 t_start, t_end, self_base_fds, self_end_fds;
  long self_base_rss, self_end_rss;
  char self_pid[32];
  int warmup_s;

  if (seconds < 10)
    {
      fprintf (stderr, "soak: SECONDS must be at least 10\n");
      return 2;
    }
  setvbuf (stdout, NULL, _IOLBF, 0);
  warmup_s = CLAMP (seconds / 10, 3, 15);
  printf ("# soak: %d s (warm-up %d s), seed %u (SOAK_SEED=%u repeats the faults)\n",
          seconds, warmup_s, seed, seed);
  g_snprintf (self_pid, sizeof self_pid, "%d", (int) getpid ());

  for (int i = 0; i < N_MEMBERS; i++)
    if (!s_start (i))
      g_error ("%s did not start", member_names[i]);
  printf ("# U %s %s, R1 %s %s, R2 %s %s\n", members[U].rpc, members[U].stream,
          members[R1].rpc, members[R1].stream, members[R2].rpc, members[R2].stream);
  t_start = g_get_monotonic_time ();
  UP_SINCE_SET (t_start);

  for (int c = 0; c < n_callers; c++)
    {
      callers[c].codes = g_hash_table_new (g_str_hash, g_str_equal);
      callers[c].thread = g_thread_new ("caller", s_caller_thread, &callers[c]);
    }
  reader = g_thread_new ("reader", s_reader_thread, NULL);

  /* Warm-up without faults, then the baselines. */
  s_pause (t_start + (gint64) warmup_s * G_USEC_PER_SEC);
  for (int i = 0; i < N_MEMBERS; i++)
    {
      s_measure (&members[i], TRUE);
      members[i].base_at_warmup = TRUE;
    }
  self_base_fds = s_fd_count (self_pid);
  self_base_rss = s_rss_kb (self_pid);
  /* Faults until 5 s before the end: the last restart settles. */
  t_end = t_start + (gint64) seconds * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < t_end - 5 * G_USEC_PER_SEC)
    {
      int i = g_rand_int_range (rand, 0, N_MEMBERS);
      gint64 down_us = g_rand_int_range (rand, 200, 3001) * 1000;
      gint64 gap_us = g_rand_int_range (rand, 500, 3001) * 1000;
      gint64 t_kill;

      t_kill = g_get_monotonic_time ();
      s_kill (i);
      s_pause (t_kill + down_us);
      if (!s_start (i))
        g_error ("%s did not restart on its ports", member_names[i]);
      g_atomic_int_and (&down_mask, ~(1u << i));
      printf ("# %6.1f s: killed %s, down %.0f ms (until serving again)\n",
              (t_kill - t_start) / 1e6, member_names[i],
              (g_get_monotonic_time () - t_kill) / 1e3);
      UP_SINCE_SET (g_get_monotonic_time ());
      s_pause (MIN (g_get_monotonic_time () + gap_us, t_end));
    }
  s_pause (t_end);

  g_atomic_int_set (&stop_flag, 1);
  for (int c = 0; c < n_callers; c++)
    g_thread_join (callers[c].thread);
  g_thread_join (reader);

  /* ---- checks after the faults ---- */
  {
    g_autoptr (OlClient) cu = ol_client_new (members[U].rpc, NULL, NULL);
    g_autoptr (OlClient) c1 = ol_client_new (members[R1].rpc, NULL, NULL);
    g_autoptr (OlClient) c2 = ol_client_new (members[R2].rpc, NULL, NULL);
    OlClient *cs[] = { cu, c1, c2 };
    const char *inst[] = { "stage", "lab/stage", "pc/lab/stage" };

    for (int i = 0; i < N_MEMBERS; i++)
      {
        gint64 us = 0;
        g_autofree char *why = NULL;
        gboolean ok = FALSE;

        ol_client_set_timeout (cs[i], CALL_TIMEOUT_MS);
        /* The first call of a new client may meet a connection being made. */
        for (int k = 0; k < 3 && !ok; k++)
          {
            g_clear_pointer (&why, g_free);
            ok = s_call_once (cs[i], inst[i], &us, &why);
          }
        s_tap (ok, "%s (pid %s) answers %s.position after the faults%s%s", member_names[i],
               s_pid (&members[i]), inst[i], ok ? "" : ": ", ok ? "" : why);
      }
  }

  /* Resources: the last instance of each member since its baseline, and this
   * process (the clients), which lived through every fault. */
  for (int i = 0; i < N_MEMBERS; i++)
    s_measure (&members[i], FALSE);
  self_end_fds = s_fd_count (self_pid);
  self_end_rss = s_rss_kb (self_pid);

  printf ("\n# ---- summary (%d s, seed %u) ----\n", seconds, seed);
  printf ("# member  kills  pid      baseline       fds before/after  RSS kB before/after\n");
  for (int i = 0; i < N_MEMBERS; i++)
    {
      Member *m = &members[i];

      printf ("# %-6s  %5d  %-7s  %-13s  %5d / %-5d       %7ld / %-7ld\n", member_names[i],
              m->kills, s_pid (m), m->base_at_warmup && m->kills == 0 ? "after warm-up"
              : m->have_base ? "after restart" : "none",
              m->base_fds, m->end_fds, m->base_rss, m->end_rss);
    }
  printf ("# %-6s  %5s  %-7s  %-13s  %5" G_GINT64_FORMAT " / %-5" G_GINT64_FORMAT
          "       %7ld / %-7ld\n", "client", "-", self_pid, "after warm-up",
          self_base_fds, self_end_fds, self_base_rss, self_end_rss);
  for (int i = 0; i < N_MEMBERS; i++)
    {
      Member *m = &members[i];

      if (!m->have_base)
        {
          s_tap (TRUE, "%s: fds and RSS # SKIP its last instance started too late for a baseline",
                 member_names[i]);
          continue;
        }
      s_tap (m->end_fds - m->base_fds <= FD_BOUND && m->end_rss - m->base_rss <= RSS_BOUND_KB,
             "%s: fds %d -> %d (bound +%d), RSS %ld -> %ld kB (bound +%d kB), %s",
             member_names[i], m->base_fds, m->end_fds, FD_BOUND, m->base_rss, m->end_rss,
             RSS_BOUND_KB, m->kills == 0 ? "since warm-up" : "since its last restart");
    }
  s_tap (self_end_fds - self_base_fds <= FD_BOUND && self_end_rss - self_base_rss <= RSS_BOUND_KB,
         "client process: fds %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT
         ", RSS %ld -> %ld kB (same bounds), since warm-up",
         self_base_fds, self_end_fds, self_base_rss, self_end_rss);

  printf ("# caller  calls    ok       failed  failed-in-fault  worst call  worst failed  errors\n");
  for (int c = 0; c < n_callers; c++)
    {
      Caller *k = &callers[c];
      GHashTableIter it;
      gpointer key, val;
      GString *codes = g_string_new (NULL);

      g_hash_table_iter_init (&it, k->codes);
      while (g_hash_table_iter_next (&it, &key, &val))
        g_string_append_printf (codes, "%s%s %zu", codes->len ? ", " : "", (char *) key,
                                GPOINTER_TO_SIZE (val));
      printf ("# %-6s  %6" G_GUINT64_FORMAT "  %6" G_GUINT64_FORMAT "  %6" G_GUINT64_FORMAT
              "  %6" G_GUINT64_FORMAT "           %7.1f ms  %7.1f ms    %s\n",
              k->label, k->calls, k->ok, k->failed, k->failed_overlap, k->worst_us / 1e3,
              k->worst_failed_us / 1e3, codes->str);
      printf ("# %-6s  %" G_GUINT64_FORMAT " calls failed with every member up (the cascade"
              " reconnecting), the latest %.1f ms after the last restart\n", k->label,
              k->failed_all_up, k->worst_recovery_us / 1e3);
      s_tap (k->over_bound == 0,
             "%s: every call ended within %d + %d ms (%" G_GUINT64_FORMAT " calls, worst %.1f ms,"
             " %" G_GUINT64_FORMAT " over)", k->label, CALL_TIMEOUT_MS, CALL_MARGIN_MS, k->calls,
             k->worst_us / 1e3, k->over_bound);
      s_tap (k->ok_whole_down == 0,
             "%s: no call succeeded while a member on its path was down from its start to its end"
             " (%" G_GUINT64_FORMAT ")", k->label, k->ok_whole_down);
      s_tap (k->ok > 0, "%s: calls succeeded between the faults (%" G_GUINT64_FORMAT " of %"
             G_GUINT64_FORMAT ")", k->label, k->ok, k->calls);
      g_string_free (codes, TRUE);
      g_hash_table_destroy (k->codes);
    }

  /* ---- streams: the counters the reader read at its end ---- */
  printf ("# stream                      received  missed  restarts  epochs  span   lost-while-settled\n");
  for (int s = 0; s < N_STREAMS; s++)
    {
      StreamTrack *t = &tracks[s];
      OlStreamCounters *c = &t->counters;
      guint64 span = t->span + (t->any ? t->last - t->first + 1 : 0);

      printf ("# %-26s  %8" G_GUINT64_FORMAT "  %6" G_GUINT64_FORMAT "  %8" G_GUINT64_FORMAT
              "  %6" G_GUINT64_FORMAT "  %6" G_GUINT64_FORMAT "  %" G_GUINT64_FORMAT "\n",
              stream_names[s], c->received, c->missed, c->restarts, t->epochs, span,
              t->stable_gaps);
      s_tap (t->received > 0 && c->received == t->received + t->errors,
             "%s: the client counted every message taken (%" G_GUINT64_FORMAT " = %"
             G_GUINT64_FORMAT ")", stream_names[s], c->received, t->received + t->errors);
      s_tap (c->restarts + 1 == t->epochs && c->restarts <= (guint64) members[U].kills,
             "%s: restarts %" G_GUINT64_FORMAT " = sequence epochs seen - 1 (%" G_GUINT64_FORMAT
             "), at most U's restarts (%d)", stream_names[s], c->restarts, t->epochs - 1,
             members[U].kills);
      s_tap (c->received + c->missed == span && c->errors == t->errors,
             "%s: received + missed = sum over epochs of (last - first + 1): %" G_GUINT64_FORMAT
             " + %" G_GUINT64_FORMAT " = %" G_GUINT64_FORMAT, stream_names[s], c->received,
             c->missed, span);
      s_tap (t->stable_gaps == 0,
             "%s: nothing lost between two messages taken while every member was up for %d s"
             " or more (%" G_GUINT64_FORMAT ")", stream_names[s], (int) (SETTLE_US / G_USEC_PER_SEC),
             t->stable_gaps);
    }

  /* ---- SIGSTOP of U for 5 s ---- */
  {
    g_autoptr (OlClient) cu = ol_client_new (members[U].rpc, NULL, NULL);
    g_autoptr (OlClient) c2 = ol_client_new (members[R2].rpc, NULL, NULL);
    OlClient *cs[] = { cu, c2 };
    const char *inst[] = { "stage", "pc/lab/stage" };
    const char *label[] = { "direct", "via R2" };
    gint64 worst[2] = { 0, 0 }, t_stop;
    int n_calls[2] = { 0, 0 }, n_ok[2] = { 0, 0 };
    const char *pid = s_pid (&members[U]);

    for (int k = 0; k < 2; k++)
      {
        gint64 us;
        ol_client_set_timeout (cs[k], CALL_TIMEOUT_MS);
        s_call_once (cs[k], inst[k], &us, NULL);   /* connected before the stop */
      }
    t_stop = g_get_monotonic_time ();
    if (!tu_stop ((pid_t) atoi (pid), 2000))
      s_tap (FALSE, "U %s stopped by SIGSTOP within 2 s", pid);
    while (g_get_monotonic_time () < t_stop + 5 * G_USEC_PER_SEC - 1300 * 1000)
      for (int k = 0; k < 2; k++)
        {
          gint64 us;

          n_calls[k]++;
          n_ok[k] += s_call_once (cs[k], inst[k], &us, NULL);
          worst[k] = MAX (worst[k], us);
        }
    while (g_get_monotonic_time () < t_stop + 5 * G_USEC_PER_SEC)
      g_usleep (10 * 1000);
    kill ((pid_t) atoi (pid), SIGCONT);
    for (int k = 0; k < 2; k++)
      s_tap (n_ok[k] == 0 && worst[k] <= (CALL_TIMEOUT_MS + CALL_MARGIN_MS) * 1000,
             "U stopped 5 s, %s: %d calls, %d succeeded, worst %.1f ms (bound %d + %d ms)",
             label[k], n_calls[k], n_ok[k], worst[k] / 1e3, CALL_TIMEOUT_MS, CALL_MARGIN_MS);
    for (int k = 0; k < 2; k++)
      {
        gint64 us = 0, first_us = 0;
        g_autofree char *why = NULL;
        gboolean first = s_call_once (cs[k], inst[k], &first_us, &why);
        gboolean second = s_call_once (cs[k], inst[k], &us, NULL);

        s_tap (first && second, "U continued, %s: the next two calls succeed (first %s in %.1f ms%s%s)",
               label[k], first ? "ok" : "failed", first_us / 1e3, first ? "" : ": ",
               first ? "" : why);
      }
  }

  printf ("# killed: U %d, R1 %d, R2 %d\n", members[U].kills, members[R1].kills, members[R2].kills);
  printf ("1..%d\n", n_tap);
  for (int i = 0; i < N_MEMBERS; i++)
    {
      tu_process_free (members[i].proc);
      g_free (members[i].rpc);
      g_free (members[i].stream);
    }
  printf ("%d passed, %d failed\n", n_passed, n_failed);
  return n_failed == 0 ? 0 : 1;
}
