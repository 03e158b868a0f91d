/* ol_client_peek_stream and ol_client_pop_stream end to end: an OlServer in
 * this process publishes a pushed stream of known values, an OlClient takes
 * them over tcp loopback. No timing is asserted: only counts, order, values,
 * sequence numbers and counters. */
#include <string.h>

#include "tests/testutil.h"

#define WAIT_MS 10000

typedef struct {
  OlServer *server;
  OlStreamWriter *writer;
  OlClient *client;
  guint64 base;   /* sequence number of the marker: value i has base + i */
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  (void) data;
  f->server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  f->writer = ol_server_add_pushed_stream (f->server, "p", OL_ENCODING_JSON, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ol_server_start (f->server, &error));
  f->client = ol_client_new (ol_server_get_rpc_endpoint (f->server),
                             ol_server_get_stream_endpoint (f->server), &error);
  g_assert_no_error (error);
  f->base = 0;
}

static void
teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  ol_client_free (&f->client);
  g_clear_pointer (&f->writer, ol_stream_writer_unref);
  ol_server_free (&f->server);
}

static void
s_push (Fixture *f, gint64 value)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) v = json_integer (value);

  g_assert_true (ol_stream_writer_push_json (f->writer, v, &error));
  g_assert_no_error (error);
}

static gint64
s_value (const OlStreamMessage *m)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) v = ol_stream_message_json (m, &error);

  g_assert_no_error (error);
  g_assert_true (json_is_integer (v));
  return json_integer_value (v);
}

static OlStreamCounters
s_counters (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  OlStreamCounters c;

  g_assert_true (ol_client_get_stream_counters (f->client, "p", &c, &error));
  g_assert_no_error (error);
  return c;
}

static void
s_same_counters (const OlStreamCounters *a, const OlStreamCounters *b)
{
  g_assert_cmpmem (a, sizeof *a, b, sizeof *b);
}

/* Configures "p" and waits until its subscription is live: probes (-1)
 * until one arrives, then a marker (0) whose arrival ends the probes (a
 * queue holds nothing after it, a cache holds it). Values pushed next have
 * sequence numbers f->base + value. */
static void
s_live (Fixture *f, OlStorage storage, guint depth)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (ol_client_configure_stream (f->client, "p", storage, depth, &error));
  g_assert_no_error (error);
  for (int k = 0;; k++)
    {
      OlStreamMessage *m;

      g_assert_cmpint (k, <, 1000);
      s_push (f, -1);
      if ((m = ol_client_get_stream (f->client, "p", 10, NULL)) != NULL)
        {
          ol_stream_message_free (m);
          break;
        }
    }
  s_push (f, 0);
  for (;;)
    {
      g_autoptr (OlStreamMessage) m = ol_client_get_stream (f->client, "p", WAIT_MS, &error);

      g_assert_no_error (error);
      if (s_value (m) == 0)
        {
          f->base = m->sequence;
          break;
        }
    }
}

/* Waits (bounded) until the client received the message of value. */
static void
s_arrived (Fixture *f, gint64 value)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;

  while (s_counters (f).last_sequence < f->base + (guint64) value)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }
}

/* Pushes first..last and waits until they all arrived. */
static void
s_push_range (Fixture *f, gint64 first, gint64 last)
{
  for (gint64 v = first; v <= last; v++)
    s_push (f, v);
  s_arrived (f, last);
}

/* Asserts that a holds the messages of values first..last, in order, with
 * their sequence numbers, and frees it. */
static void
s_check (Fixture *f, GPtrArray *a, gint64 first, gint64 last)
{
  g_assert_nonnull (a);
  g_assert_cmpuint (a->len, ==, (guint) (last - first + 1));
  for (guint i = 0; i < a->len; i++)
    {
      const OlStreamMessage *m = g_ptr_array_index (a, i);

      g_assert_cmpstr (m->name, ==, "p");
      g_assert_cmpint (s_value (m), ==, first + i);
      g_assert_cmpuint (m->sequence, ==, f->base + (guint64) (first + i));
      g_assert_cmpuint (m->status, ==, OL_STATUS_OK);
      g_assert_cmpint (m->encoding, ==, OL_ENCODING_JSON);
    }
  g_ptr_array_unref (a);
}

static GPtrArray *
s_peek (Fixture *f, int n, int timeout_ms)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *a = ol_client_peek_stream (f->client, "p", n, timeout_ms, &error);

  g_assert_no_error (error);
  return a;
}

static GPtrArray *
s_pop (Fixture *f, int n, int timeout_ms)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *a = ol_client_pop_stream (f->client, "p", n, timeout_ms, &error);

  g_assert_no_error (error);
  return a;
}

/* Asserts that peek (pop FALSE) or pop of n fails with code, and that the
 * message contains needle (if not NULL). */
static void
s_fails (Fixture *f, const char *name, gboolean pop, int n, int timeout_ms, int code,
         const char *needle)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *a = pop ? ol_client_pop_stream (f->client, name, n, timeout_ms, &error)
                     : ol_client_peek_stream (f->client, name, n, timeout_ms, &error);

  g_assert_null (a);
  g_assert_error (error, OL_ERROR, code);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("\"%s\" not in the error \"%s\"", needle, error->message);
}

/* The next message by ol_client_get_stream, of value. */
static void
s_get (Fixture *f, gint64 value)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlStreamMessage) m = ol_client_get_stream (f->client, "p", 0, &error);

  g_assert_no_error (error);
  g_assert_cmpint (s_value (m), ==, value);
  g_assert_cmpuint (m->sequence, ==, f->base + (guint64) value);
}

/* ---- queues ------------------------------------------------------------ */

static void
test_earliest (Fixture *f, gconstpointer data)
{
  OlStreamCounters before, c;

  (void) data;
  s_live (f, OL_STORAGE_QUEUE, 100);
  before = s_counters (f);
  s_push_range (f, 1, 10);
  c = s_counters (f);
  g_assert_cmpuint (c.received - before.received, ==, 10);
  g_assert_cmpuint (c.missed, ==, 0);
  g_assert_cmpuint (c.overflowed, ==, 0);

  /* Peeking takes nothing: twice the same. */
  s_check (f, s_peek (f, 3, 0), 1, 3);
  s_check (f, s_peek (f, 3, 0), 1, 3);
  s_check (f, s_pop (f, 3, 0), 1, 3);
  s_check (f, s_peek (f, 1, 0), 4, 4);
  /* What peek left, ol_client_get_stream takes. */
  s_get (f, 4);
  /* Fewer than asked without waiting: what is there. */
  s_check (f, s_pop (f, 10, 0), 5, 10);
  s_fails (f, "p", TRUE, 1, 0, OL_ERROR_TIMEOUT, "\"p\"");
  s_fails (f, "p", FALSE, 1, 0, OL_ERROR_TIMEOUT, NULL);
  /* Taking is not counted. */
  {
    OlStreamCounters after = s_counters (f);
    s_same_counters (&c, &after);
  }
}

static void
test_latest (Fixture *f, gconstpointer data)
{
  OlStreamCounters c;

  (void) data;
  s_live (f, OL_STORAGE_QUEUE, 100);
  s_push_range (f, 1, 10);
  c = s_counters (f);

  s_check (f, s_peek (f, -3, 0), 8, 10);
  s_check (f, s_pop (f, -3, 0), 8, 10);
  /* The older ones stay, in order, and nothing was dropped. */
  s_get (f, 1);
  s_check (f, s_peek (f, -3, 0), 5, 7);
  s_check (f, s_peek (f, 3, 0), 2, 4);
  s_check (f, s_pop (f, 2, 0), 2, 3);
  /* More than there is: all of them, oldest first. */
  s_check (f, s_peek (f, -100, 0), 4, 7);
  s_check (f, s_pop (f, -100, 0), 4, 7);
  s_fails (f, "p", FALSE, -1, 0, OL_ERROR_TIMEOUT, NULL);
  {
    OlStreamCounters after = s_counters (f);
    s_same_counters (&c, &after);
    g_assert_cmpuint (after.overflowed, ==, 0);
  }
  /* New messages queue behind: the latest is the newest. */
  s_push_range (f, 11, 12);
  s_check (f, s_pop (f, -1, 0), 12, 12);
  s_check (f, s_pop (f, -1, 0), 11, 11);
}

/* A peeked message is the caller's: it outlives its stored original, the
 * stream and the client. */
static void
test_peek_outlives (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *peeked;
  OlStreamMessage *one;

  (void) data;
  s_live (f, OL_STORAGE_QUEUE, 100);
  s_push_range (f, 1, 3);
  peeked = s_peek (f, -3, 0);
  s_check (f, s_pop (f, 3, 0), 1, 3);
  one = g_ptr_array_steal_index (peeked, 0);
  g_assert_true (ol_client_unconfigure_stream (f->client, "p", &error));
  ol_client_free (&f->client);
  g_assert_cmpint (s_value (one), ==, 1);
  ol_stream_message_free (one);
  s_check (f, peeked, 2, 3);
}

static void
test_empty_and_timeouts (Fixture *f, gconstpointer data)
{
  OlStreamCounters c;

  (void) data;
  s_live (f, OL_STORAGE_QUEUE, 100);
  c = s_counters (f);
  s_fails (f, "p", FALSE, 1, 0, OL_ERROR_TIMEOUT, NULL);
  s_fails (f, "p", TRUE, -1, 0, OL_ERROR_TIMEOUT, NULL);
  /* A wait that runs out with nothing there. */
  s_fails (f, "p", FALSE, 5, 50, OL_ERROR_TIMEOUT, "50 ms");
  s_fails (f, "p", TRUE, -5, 50, OL_ERROR_TIMEOUT, NULL);
  {
    OlStreamCounters after = s_counters (f);
    s_same_counters (&c, &after);
  }
  /* A wait that runs out with fewer there: those. */
  s_push_range (f, 1, 2);
  s_check (f, s_peek (f, 5, 50), 1, 2);
  s_check (f, s_peek (f, -5, 50), 1, 2);
  s_check (f, s_pop (f, -5, 50), 1, 2);
  s_fails (f, "p", TRUE, 1, 0, OL_ERROR_TIMEOUT, NULL);
}

/* ---- waits satisfied during the wait ------------------------------------ */

typedef struct {
  Fixture *f;
  gint64 first, last;
} Later;

static gpointer
s_push_later (gpointer data)
{
  Later *l = data;

  /* Not a synchronisation: only makes it likely that the reader already
   * waits. The test holds either way. */
  g_usleep (20 * 1000);
  for (gint64 v = l->first; v <= l->last; v++)
    {
      s_push (l->f, v);
      g_usleep (1000);
    }
  return NULL;
}

static void
test_wait_satisfied (Fixture *f, gconstpointer data)
{
  Later later = { f, 1, 5 };
  GThread *t;
  GPtrArray *a;

  (void) data;
  s_live (f, OL_STORAGE_QUEUE, 100);

  /* The wait ends once 5 are there: all 5, whenever they come. */
  t = g_thread_new ("pusher", s_push_later, &later);
  s_check (f, s_pop (f, 5, WAIT_MS), 1, 5);
  g_thread_join (t);

  later = (Later) { f, 6, 7 };
  t = g_thread_new ("pusher", s_push_later, &later);
  s_check (f, s_peek (f, -2, WAIT_MS), 6, 7);
  g_thread_join (t);
  s_check (f, s_pop (f, 2, 0), 6, 7);

  /* The latest 3 when 3 are there: which ones depends on how many arrived
   * meanwhile, but they are the newest, contiguous, and the others stay. */
  later = (Later) { f, 8, 12 };
  t = g_thread_new ("pusher", s_push_later, &later);
  a = s_pop (f, -3, WAIT_MS);
  g_thread_join (t);
  s_arrived (f, 12);
  g_assert_cmpuint (a->len, ==, 3);
  {
    gint64 first = s_value (g_ptr_array_index (a, 0));
    g_assert_cmpint (first, >=, 8);
    g_assert_cmpint (first, <=, 10);
    s_check (f, a, first, first + 2);
    /* Older ones stay in front of those that came after the pop. */
    {
      GPtrArray *rest = s_pop (f, 100, 0);
      g_assert_cmpuint (rest->len, ==, 2);
      for (guint i = 0, j = 0; i < 5; i++)
        {
          gint64 v = 8 + i;
          if (v >= first && v <= first + 2)
            continue;
          g_assert_cmpint (s_value (g_ptr_array_index (rest, j)), ==, v);
          j++;
        }
      g_ptr_array_unref (rest);
    }
  }
  {
    OlStreamCounters c = s_counters (f);
    g_assert_cmpuint (c.missed, ==, 0);
    g_assert_cmpuint (c.overflowed, ==, 0);
  }
}

/* ---- counters, depth, cache ---------------------------------------------- */

static void
test_overflow_counters (Fixture *f, gconstpointer data)
{
  OlStreamCounters before, c;

  (void) data;
  s_live (f, OL_STORAGE_QUEUE, 5);
  before = s_counters (f);
  s_push_range (f, 1, 12);
  c = s_counters (f);
  g_assert_cmpuint (c.received - before.received, ==, 12);
  g_assert_cmpuint (c.overflowed - before.overflowed, ==, 7);
  g_assert_cmpuint (c.missed, ==, 0);

  /* The queue holds the newest 5. */
  s_check (f, s_peek (f, -5, 0), 8, 12);
  s_check (f, s_peek (f, 5, 0), 8, 12);
  s_check (f, s_pop (f, -2, 0), 11, 12);
  /* Beyond the depth: an error, nothing waited for, nothing taken. */
  s_fails (f, "p", TRUE, 6, WAIT_MS, OL_ERROR_INVALID_ARGS, "queue of depth 5");
  s_fails (f, "p", TRUE, -6, WAIT_MS, OL_ERROR_INVALID_ARGS, "queue of depth 5");
  s_fails (f, "p", FALSE, G_MAXINT, WAIT_MS, OL_ERROR_INVALID_ARGS, "depth 5");
  s_fails (f, "p", FALSE, G_MININT, WAIT_MS, OL_ERROR_INVALID_ARGS, "depth 5");
  s_check (f, s_pop (f, 5, 0), 8, 10);
  {
    OlStreamCounters after = s_counters (f);
    s_same_counters (&c, &after);
  }
  /* Room again: the next 5 fit, none overflows. */
  s_push_range (f, 13, 17);
  s_check (f, s_pop (f, -5, 0), 13, 17);
  {
    OlStreamCounters after = s_counters (f);
    g_assert_cmpuint (after.overflowed, ==, c.overflowed);
    g_assert_cmpuint (after.received, ==, c.received + 5);
  }
}

static void
test_cache (Fixture *f, gconstpointer data)
{
  OlStreamCounters before, c;

  (void) data;
  s_live (f, OL_STORAGE_CACHE, 0);
  before = s_counters (f);
  s_push_range (f, 1, 5);
  c = s_counters (f);
  g_assert_cmpuint (c.overflowed - before.overflowed, ==, 4);

  /* 1 and -1 both mean its one message; peek leaves it there. */
  s_check (f, s_peek (f, 1, 0), 5, 5);
  s_check (f, s_peek (f, -1, 0), 5, 5);
  s_fails (f, "p", FALSE, 2, 0, OL_ERROR_INVALID_ARGS, "cache");
  s_fails (f, "p", TRUE, -2, WAIT_MS, OL_ERROR_INVALID_ARGS, "cache");
  s_get (f, 5);
  s_fails (f, "p", FALSE, 1, 0, OL_ERROR_TIMEOUT, NULL);
  s_fails (f, "p", TRUE, -1, 10, OL_ERROR_TIMEOUT, NULL);
  s_push_range (f, 6, 6);
  s_check (f, s_pop (f, -1, 0), 6, 6);
  s_fails (f, "p", TRUE, 1, 0, OL_ERROR_TIMEOUT, NULL);
  {
    OlStreamCounters after = s_counters (f);
    g_assert_cmpuint (after.overflowed, ==, c.overflowed);
    g_assert_cmpuint (after.received, ==, c.received + 1);
  }
}

static void
test_bad_args (Fixture *f, gconstpointer data)
{
  OlStreamCounters c;

  (void) data;
  /* Before any stream is configured. */
  s_fails (f, "p", FALSE, 1, 0, OL_ERROR_NOT_FOUND, "not configured");
  s_fails (f, "p", TRUE, -1, WAIT_MS, OL_ERROR_NOT_FOUND, "not configured");
  s_fails (f, "p", TRUE, 0, 0, OL_ERROR_INVALID_ARGS, "0 messages");

  s_live (f, OL_STORAGE_QUEUE, 10);
  s_push_range (f, 1, 3);
  c = s_counters (f);
  s_fails (f, "q", FALSE, 1, WAIT_MS, OL_ERROR_NOT_FOUND, "\"q\"");
  s_fails (f, "q", TRUE, 1, 0, OL_ERROR_NOT_FOUND, NULL);
  s_fails (f, "p", FALSE, 0, WAIT_MS, OL_ERROR_INVALID_ARGS, "0 messages");
  s_fails (f, "p", TRUE, 0, 0, OL_ERROR_INVALID_ARGS, NULL);
  s_fails (f, "p", TRUE, 11, 0, OL_ERROR_INVALID_ARGS, "depth 10");
  s_fails (f, "p", TRUE, -11, 0, OL_ERROR_INVALID_ARGS, "depth 10");
  /* Nothing changed. */
  s_check (f, s_peek (f, 3, 0), 1, 3);
  {
    OlStreamCounters after = s_counters (f);
    s_same_counters (&c, &after);
  }
  /* An unconfigured stream is not found any more. */
  g_assert_true (ol_client_unconfigure_stream (f->client, "p", NULL));
  s_fails (f, "p", TRUE, 1, 0, OL_ERROR_NOT_FOUND, NULL);
}

/* ---- error messages -------------------------------------------------------- */

static void
test_errors_in_range (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) failure = g_error_new (G_IO_ERROR, G_IO_ERROR_BUSY, "sensor busy");
  OlStreamCounters before, c;
  GPtrArray *a;

  (void) data;
  s_live (f, OL_STORAGE_QUEUE, 100);
  before = s_counters (f);
  s_push (f, 1);
  g_assert_true (ol_stream_writer_push_error (f->writer, failure, &error));
  s_push_range (f, 3, 3);
  c = s_counters (f);
  g_assert_cmpuint (c.errors - before.errors, ==, 1);
  g_assert_cmpuint (c.received - before.received, ==, 3);

  for (int round = 0; round < 2; round++)
    {
      /* Peeked, then popped: the error message in its place. */
      a = round == 0 ? s_peek (f, 3, 0) : s_pop (f, -3, 0);
      g_assert_cmpuint (a->len, ==, 3);
      for (guint i = 0; i < 3; i++)
        {
          const OlStreamMessage *m = g_ptr_array_index (a, i);
          g_autoptr (GError) e = ol_stream_message_error (m);

          g_assert_cmpuint (m->sequence, ==, f->base + i + 1);
          if (i == 1)
            {
              g_assert_cmpuint (m->status & OL_STATUS_ERROR, !=, 0);
              g_assert_error (e, G_IO_ERROR, G_IO_ERROR_BUSY);
              g_assert_cmpstr (e->message, ==, "sensor busy");
            }
          else
            {
              g_assert_null (e);
              g_assert_cmpint (s_value (m), ==, i + 1);
            }
        }
      g_ptr_array_unref (a);
    }
  s_fails (f, "p", TRUE, 1, 0, OL_ERROR_TIMEOUT, NULL);

  /* ol_client_get_stream still makes an error message its error. */
  g_assert_true (ol_stream_writer_push_error (f->writer, failure, &error));
  s_push_range (f, 5, 5);
  g_assert_null (ol_client_get_stream (f->client, "p", 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  s_check (f, s_pop (f, 1, 0), 5, 5);
  {
    OlStreamCounters after = s_counters (f);
    g_assert_cmpuint (after.errors - before.errors, ==, 2);
    g_assert_cmpuint (after.missed, ==, 0);
  }
}

/* ---- the receiver storing while the client takes --------------------------- */

#define CONCURRENT 3000

static gpointer
s_push_many (gpointer data)
{
  Fixture *f = data;

  for (gint64 v = 1; v <= CONCURRENT; v++)
    s_push (f, v);
  return NULL;
}

/* What the reader took so far. */
typedef struct {
  guint8 seen[CONCURRENT + 1]; /* seen[v]: value v was popped */
  gint64 prefix;               /* 1..prefix were all popped */
  gint64 max;                  /* the highest value popped */
  guint total;
} Taken;

/* Checks and counts what a pop of n returned. Popping the latest leaves
 * holes that a later pop of the earliest spans: neighbours in one pop are
 * ascending, not contiguous. But the earliest start right after everything
 * popped before them, and nothing newer than the latest is left behind. */
static void
s_account (Fixture *f, GPtrArray *a, int n, Taken *t)
{
  gint64 prev = 0;

  if (a == NULL)
    return;
  g_assert_cmpuint (a->len, >=, 1);
  g_assert_cmpuint (a->len, <=, (guint) ABS (n));
  while (t->prefix < CONCURRENT && t->seen[t->prefix + 1])
    t->prefix++;
  for (guint i = 0; i < a->len; i++)
    {
      const OlStreamMessage *m = g_ptr_array_index (a, i);
      gint64 v = s_value (m);

      g_assert_cmpuint (m->sequence, ==, f->base + (guint64) v);
      g_assert_cmpint (v, >=, 1);
      g_assert_cmpint (v, <=, CONCURRENT);
      g_assert_cmpint (v, >, prev);
      if (i == 0 && n > 0)
        g_assert_cmpint (v, ==, t->prefix + 1);
      /* Everything older than max arrived before max was popped: what of
       * it is newer than the latest popped now was popped before. */
      if (i == a->len - 1 && n < 0)
        for (gint64 w = v + 1; w <= t->max; w++)
          g_assert_cmpuint (t->seen[w], ==, 1);
      prev = v;
      g_assert_cmpuint (t->seen[v], ==, 0);
      t->seen[v] = 1;
      t->total++;
    }
  t->max = MAX (t->max, prev);
  g_ptr_array_unref (a);
}

static void
test_concurrent (Fixture *f, gconstpointer data)
{
  g_autofree Taken *taken = g_new0 (Taken, 1);
  GThread *t;

  (void) data;
  s_live (f, OL_STORAGE_QUEUE, 2 * CONCURRENT);
  t = g_thread_new ("pusher", s_push_many, f);
  for (int k = 0; taken->total < CONCURRENT; k++)
    {
      GPtrArray *peeked;
      int n = (1 + k % 7) * (k % 2 ? 1 : -1);

      g_assert_cmpint (k, <, 10 * CONCURRENT);
      if ((peeked = ol_client_peek_stream (f->client, "p", -n, 0, NULL)) != NULL)
        g_ptr_array_unref (peeked);
      s_account (f, ol_client_pop_stream (f->client, "p", n, 100, NULL), n, taken);
    }
  g_thread_join (t);
  for (gint64 v = 1; v <= CONCURRENT; v++)
    g_assert_cmpuint (taken->seen[v], ==, 1);
  {
    OlStreamCounters c = s_counters (f);
    g_assert_cmpuint (c.missed, ==, 0);
    g_assert_cmpuint (c.overflowed, ==, 0);
    g_assert_cmpuint (c.last_sequence, ==, f->base + CONCURRENT);
  }
  s_fails (f, "p", TRUE, 1, 0, OL_ERROR_TIMEOUT, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/peek/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("earliest", test_earliest);
  ADD ("latest", test_latest);
  ADD ("peek-outlives", test_peek_outlives);
  ADD ("empty-and-timeouts", test_empty_and_timeouts);
  ADD ("wait-satisfied", test_wait_satisfied);
  ADD ("overflow-counters", test_overflow_counters);
  ADD ("cache", test_cache);
  ADD ("bad-args", test_bad_args);
  ADD ("errors-in-range", test_errors_in_range);
  ADD ("concurrent", test_concurrent);
#undef ADD
  return g_test_run ();
}
