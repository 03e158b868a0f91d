/* The two request decoders against each other (router/request.h): for every
 * text, if the fast decoder takes it the general one takes it too and gives
 * the same request, and if the general one refuses it the fast one gives up.
 *
 * The texts: the requests the other tests send raw, the wire cases of
 * tests/wire/ (when that folder exists), requests nested around jansson's
 * depth limit, and a generated corpus: calls laid out as OlClient writes
 * them, with varied ids, names, args and kwargs, each mutated a few dozen
 * times (bytes deleted, inserted, replaced, whitespace added, members
 * swapped, dropped or doubled, truncation) from a fixed seed. */
#include <string.h>

#include "oneliner/json.h"
#include "tests/call_layouts.h"
#include "tests/decode_check.h"

#define SEED 0x0de1c0deu

/* How many texts a test checked and how many of them each decoder took. */
typedef struct {
  guint checked;
  guint fast;
  guint general;
} Tally;

/* Checks the contract on one text; a failure shows the text. */
static gboolean
s_check (Tally *t, const char *text, size_t len)
{
  gboolean fast, general;
  g_autofree char *diff = dc_check_text (text, len, &fast, &general);

  if (diff != NULL)
    {
      g_autofree char *shown = dc_show (text, len, 600);
      g_test_message ("text %s: %s", shown, diff);
      g_test_fail ();
    }
  t->checked++;
  t->fast += fast;
  t->general += general;
  return fast;
}

static void
s_report (const Tally *t, const char *what)
{
  g_test_message ("%s: %u texts checked, the fast decoder took %u, the general one %u", what,
                  t->checked, t->fast, t->general);
}

/* ------------------------------------------------------------------------ */
/* The comparison itself */

static void
s_decode_both (const char *text, OlRequest *f, OlRequest *g)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (ol__request_decode_fast (f, text, strlen (text)));
  g_assert_true (ol__request_decode (g, text, strlen (text), 0, FALSE, &error));
  g_assert_no_error (error);
}

/* dc_request_diff sees a change in any field. */
static void
test_diff (void)
{
  const char *text = "{\"v\":1,\"id\":42,\"op\":\"call\",\"ts\":true,\"object\":\"calc\","
                     "\"method\":\"add\",\"args\":[1,[2]],\"kwargs\":{\"b\":{\"c\":null}}}";
  OlRequest f = { 0 }, g = { 0 };
  char *diff;

  s_decode_both (text, &f, &g);
  g_assert_null (dc_request_diff (&f, &g));

#define EXPECT_DIFF(change, undo, needle)                 \
  G_STMT_START                                            \
  {                                                       \
    change;                                               \
    diff = dc_request_diff (&f, &g);                      \
    g_assert_nonnull (diff);                              \
    g_assert_nonnull (strstr (diff, needle));             \
    g_free (diff);                                        \
    undo;                                                 \
    g_assert_null (dc_request_diff (&f, &g));             \
  }                                                       \
  G_STMT_END

  EXPECT_DIFF (f.int_id = 43, f.int_id = 42, "id");
  EXPECT_DIFF (f.has_int_id = FALSE, f.has_int_id = TRUE, "id");
  EXPECT_DIFF (f.op = OL_OP_LIST, f.op = OL_OP_CALL, "op");
  EXPECT_DIFF (f.ts = FALSE, f.ts = TRUE, "ts");
  EXPECT_DIFF (g.frames = TRUE, g.frames = FALSE, "frames");
  EXPECT_DIFF (f.object = NULL, f.object = f.object_buf, "object");
  EXPECT_DIFF (f.object_buf[1] = 'x', f.object_buf[1] = 'a', "object");
  EXPECT_DIFF (f.method_buf[3] = '_', f.method_buf[3] = '\0', "method");
  EXPECT_DIFF (f.name = "add", f.name = NULL, "name");
  EXPECT_DIFF (g.enabled = TRUE, g.enabled = FALSE, "enabled");
  EXPECT_DIFF (json_array_append_new (f.args, json_null ()),
               json_array_remove (f.args, 2), "args");
  EXPECT_DIFF (json_object_set_new (f.kwargs, "d", json_true ()),
               json_object_del (f.kwargs, "d"), "kwargs");
  {
    json_t *kwargs = g.kwargs;
    EXPECT_DIFF (g.kwargs = NULL, g.kwargs = kwargs, "kwargs");
  }
  {
    json_t *id = g.id;
    EXPECT_DIFF (g.id = json_object_get (g.doc, "v"), g.id = id, "id");
  }
#undef EXPECT_DIFF

  ol__request_clear (&f);
  ol__request_clear (&g);
}

/* ------------------------------------------------------------------------ */
/* Texts of the other tests */

/* The request texts tests/malformed_test.c and tests/rpc_test.c send raw
 * (with those of tests/call_layouts.h), and the example of
 * docs/PROTOCOL.md. */
static const char *const known_texts[] = {
  "{not json",
  "",
  "[1, 2]",
  "\"op\"",
  "{\"id\": 1, \"op\": \"call\"}",
  "{\"v\": 99, \"id\": 1, \"op\": \"call\"}",
  "{\"v\": \"1\", \"id\": 1, \"op\": \"call\"}",
  "{\"v\": 1, \"id\": 1}",
  "{\"v\": 1, \"id\": 1, \"op\": 5}",
  "{\"v\": 1, \"id\": 1, \"op\": \"explode\"}",
  "{\"v\": 1, \"id\": 1, \"op\": \"call\"}",
  "{\"v\": 1, \"id\": 1, \"op\": \"call\", \"object\": 7, \"method\": \"add\"}",
  "{\"v\": 1, \"id\": 1, \"op\": \"call\", \"object\": \"calc\", \"method\": \"add\", "
  "\"args\": {\"a\": 1}}",
  "{\"v\": 1, \"id\": 1, \"op\": \"call\", \"object\": \"calc\", \"method\": \"add\", "
  "\"args\": [1, 2], \"kwargs\": [3]}",
  "{\"v\": 1, \"id\": 1, \"op\": \"call\", \"object\": \"calc\", \"method\": \"add\", "
  "\"args\": [1e400, 2]}",
  "{\"v\": 1, \"v\": 1, \"op\": \"version\"}",
  "{\"v\": 1, \"id\": 1, \"op\": \"call\", \"object\": \"calc\", \"method\": \"add\", "
  "\"args\": [{\"$frame\": 0}, 2]}",
  "{\"v\": 1, \"id\": 7, \"op\": \"version\"}",
  "{\"v\": 1, \"id\": 3, \"op\": \"call\", \"object\": \"calc\", \"method\": \"add\", "
  "\"args\": [1, 2]}",
  "{\"object\":\"stage\",\"method\":\"move_to\",\"args\":[1,12.5],\"kwargs\":{\"x\":1},"
  "\"v\":1,\"id\":249577162670081,\"op\":\"call\"}",
};

/* Each known text as written and with a space after its first byte: the
 * general decoder's way for the same request. */
static void
test_known (void)
{
  Tally t = { 0 };

  for (gsize i = 0; i < G_N_ELEMENTS (known_texts) + G_N_ELEMENTS (tt_call_layouts); i++)
    {
      const char *text = i < G_N_ELEMENTS (known_texts)
                           ? known_texts[i]
                           : tt_call_layouts[i - G_N_ELEMENTS (known_texts)];
      g_autofree char *spaced = *text ? g_strdup_printf ("%c %s", *text, text + 1) : NULL;

      s_check (&t, text, strlen (text));
      if (spaced != NULL)
        g_assert_false (s_check (&t, spaced, strlen (spaced)));
    }
  s_report (&t, "texts of the other tests");
  g_assert_cmpuint (t.fast, >=, 10);
}

/* Orders a GPtrArray of strings by name. */
static int
s_compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The wire cases, tests/wire/CASE/request, when that folder exists. */
static void
test_wire_cases (void)
{
  g_autofree char *dir_path = g_test_build_filename (G_TEST_DIST, "wire", NULL);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  Tally t = { 0 };

  if (dir == NULL)
    {
      g_test_skip ("no tests/wire folder");
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, s_compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir_path, names->pdata[i], "request", NULL);
      g_autofree char *text = NULL;
      gsize len;

      if (!g_file_get_contents (path, &text, &len, NULL))
        continue;
      s_check (&t, text, len);
      /* A file may end with a newline the frame does not have. */
      if (len > 0 && text[len - 1] == '\n')
        s_check (&t, text, len - 1);
    }
  s_report (&t, "wire cases");
  if (t.checked == 0)
    g_test_skip ("no request in tests/wire");
}

/* ------------------------------------------------------------------------ */
/* Depth */

/* args or kwargs of n nested arrays around inner, at and around jansson's
 * depth limit: the general decoder reads them one level deeper, inside the
 * request object. */
static void
test_depth (void)
{
  Tally t = { 0 };
  static const char *const inners[] = { "", "1", "{}", "{\"a\":[]}" };

  for (int n = JSON_PARSER_MAX_DEPTH - 4; n <= JSON_PARSER_MAX_DEPTH + 1; n++)
    for (gsize k = 0; k < G_N_ELEMENTS (inners); k++)
      for (int kw = 0; kw < 2; kw++)
        {
          g_autoptr (GString) s = g_string_new ("{\"v\":1,\"id\":1,\"op\":\"call\","
                                                "\"method\":\"m\"");
          /* Of the deepest value in the whole request: the request is 1
           * deep, args 2, kwargs 2 and its member 3. */
          int depth = n + 1 + (*inners[k] == '\0' ? 0 : 1) + (k == 3);
          gboolean fast;

          g_string_append (s, kw ? ",\"kwargs\":{\"k\":" : ",\"args\":");
          for (int i = 0; i < n - kw; i++)
            g_string_append_c (s, '[');
          g_string_append (s, inners[k]);
          for (int i = 0; i < n - kw; i++)
            g_string_append_c (s, ']');
          g_string_append (s, kw ? "}}" : "}");
          fast = s_check (&t, s->str, s->len);
          g_assert_cmpint (fast, ==, depth <= JSON_PARSER_MAX_DEPTH);
        }
  s_report (&t, "nested values");
}

/* ------------------------------------------------------------------------ */
/* The generated corpus */

/* A request as its members' texts, written as {M1,M2,...}. */
typedef struct {
  GPtrArray *members; /* GString * */
} Call;

static void
s_string_free (gpointer s)
{
  g_string_free (s, TRUE);
}

static Call *
s_call_new (void)
{
  Call *c = g_new0 (Call, 1);

  c->members = g_ptr_array_new_with_free_func (s_string_free);
  return c;
}

static void
s_call_free (Call *c)
{
  g_ptr_array_unref (c->members);
  g_free (c);
}

static Call *
s_call_copy (const Call *c)
{
  Call *copy = s_call_new ();

  for (guint i = 0; i < c->members->len; i++)
    {
      GString *m = c->members->pdata[i];
      g_ptr_array_add (copy->members, g_string_new_len (m->str, (gssize) m->len));
    }
  return copy;
}

static GString *
s_call_text (const Call *c)
{
  GString *s = g_string_new ("{");

  for (guint i = 0; i < c->members->len; i++)
    {
      GString *m = c->members->pdata[i];
      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append_len (s, m->str, (gssize) m->len);
    }
  g_string_append_c (s, '}');
  return s;
}

static void
s_member (Call *c, const char *key, const char *value, gssize value_len)
{
  GString *m = g_string_new (NULL);

  g_string_append_printf (m, "\"%s\":", key);
  g_string_append_len (m, value, value_len);
  g_ptr_array_add (c->members, m);
}

/* A name: its bytes, and how it is written. */
typedef enum {
  NAME_ENCODED, /* as OlClient writes it (escaped where JSON needs it) */
  NAME_RAW,     /* the bytes between quotes as they are */
} NameForm;

typedef struct {
  const char *bytes;
  gssize len; /* -1: NUL-terminated */
} Name;

static const Name names[] = {
  { "calc", -1 }, { "add", -1 }, { "", -1 }, { "x", -1 }, { "a b", -1 },
  { "move_to", -1 }, { "we\"ird", -1 }, { "back\\slash", -1 }, { "line\nbreak", -1 },
  { "tab\t\x01", -1 }, { "\x1f", -1 }, { "\x7f", -1 }, { "/", -1 },
  { "\xc3\xa9t\xc3\xa9", -1 },            /* été */
  { "\xe2\x82\xac", -1 },                 /* U+20AC */
  { "\xf0\x9f\x98\x80", -1 },             /* U+1F600 */
  { "\xef\xbf\xbe", -1 },                 /* U+FFFE, a noncharacter */
  { "\xef\xb7\x90", -1 },                 /* U+FDD0, a noncharacter */
  { "\xf4\x8f\xbf\xbf", -1 },             /* U+10FFFF */
  { "\xed\x9f\xbf", -1 },                 /* U+D7FF */
  { "\xee\x80\x80", -1 },                 /* U+E000 */
  { "\xef\xbb\xbf", -1 },                 /* BOM */
  /* Not UTF-8. */
  { "\xff\xfe", -1 }, { "\xc3", -1 }, { "\x80", -1 }, { "\xc0\x80", -1 }, { "\xc1\xbf", -1 },
  { "\xe0\x80\x80", -1 }, { "\xed\xa0\x80", -1 }, { "\xed\xbf\xbf", -1 },
  { "\xf4\x90\x80\x80", -1 }, { "\xf5\x80\x80\x80", -1 }, { "\xf8\x88\x80\x80\x80", -1 },
  { "\xfc\x84\x80\x80\x80\x80", -1 }, { "\xfe", -1 }, { "\xe2\x82", -1 }, { "ab\xc3", -1 },
  { "a\0b", 3 }, { "\0", 1 },
};

/* Names written as JSON text between the quotes, as they are. */
static const char *const escaped_names[] = {
  "ca\\u006cc", "\\u0000", "a\\u0000b", "\\ud83d\\ude00", "\\ud800", "\\udc00x", "\\/",
  "\\x", "\\", "\\\"", "\\u12", "\\U0041",
};

/* Lengths around OL_FAST_NAME_MAX. */
static const int long_names[] = { 1, 200, 254, 255, 256, 257, 300 };

static void
s_append_name (GString *out, const char *bytes, gsize len, NameForm form)
{
  if (form == NAME_ENCODED && memchr (bytes, '\0', len) == NULL
      && g_utf8_validate (bytes, (gssize) len, NULL))
    {
      g_autofree char *copy = g_strndup (bytes, len);
      g_assert_true (ol__wire_append_string (out, copy));
      return;
    }
  g_string_append_c (out, '"');
  g_string_append_len (out, bytes, (gssize) len);
  g_string_append_c (out, '"');
}

static const char *const ids[] = {
  "0", "1", "7", "42", "1000000", "99999999999999999", "123456789012345678",
  "999999999999999999", "1000000000000000000", "1234567890123456789", "9223372036854775807",
  "9223372036854775808", "18446744073709551615", "00", "01", "007", "-1", "-0",
  "-123456789012345678", "1.0", "1e3", "1E3", "0.5", "\"1\"", "\"abc\"", "null", "true",
  "false", "[1]", "{}", "{\"a\":1}", "+1", "0x10", " 1", "1 ",
};

static const char *const args_texts[] = {
  NULL, "[]", "[1,2]", "[1,12.5]", "[1,[2,[3,[4]]]]",
  "[\"x\",null,true,false,1.5,-0,1e10,-1E-3,0.0]", "[{\"a\":1,\"a\":2}]",
  "[{\"a\":1,\"b\":{\"a\":2}}]", "[1,2]x", "[1,2", "[1,]", "[,1]", "[1e400]", "[-1e400]",
  "[9223372036854775807]", "[9223372036854775808]", "[-9223372036854775808]",
  "[{\"$frame\":0}]", "[{\"$base64\":\"AQID\"}]", "[\"\\u0000\"]", "[\"\\ud800\"]",
  "[\"\xc3\xa9\"]", "[\"\xff\"]", "[\"a\nb\"]", " [1,2]", "[ 1 , 2 ]", "[1,2] ", "{}",
  "{\"a\":1}", "null", "\"[1,2]\"", "1", "true", "[[]]", "[{}]", "[\"]\"]",
  "[\"\\\"]\"]", "[0123]", "[.5]", "[1.]", "[nan]", "[\"\\\\\"]",
};

static const char *const kwargs_texts[] = {
  NULL, "{}", "{\"b\":5}", "{\"b\":5,\"a\":-1}", "{\"a\":1,\"a\":2}",
  "{\"a\":{\"b\":{\"c\":[1,{\"d\":null}]}}}", "{\"a\":{\"b\":1,\"b\":2}}", "[]", "[3]",
  "null", "{\"a\":1", "{\"a\":1}}", "{\"\xff\":1}", "{\"\\u0000\":1}", "{\"\":1}",
  "{\"a\":1,}", "{\"a\" : 1}", "{a:1}", "{\"a\":1}x", "\"{}\"", "{\"}\":\"{\"}",
};

/* The corpus of base calls. */
typedef struct {
  GPtrArray *calls; /* Call * */
  GRand *rand;
} Corpus;

/* Appends a call: {"v":1,"id":ID,"op":"call"[,"ts":true][,"object":O],
 * "method":M[,"args":A][,"kwargs":K]}, the client's layout. id NULL leaves
 * the id out; object, args, kwargs NULL leave them out. object and method
 * are JSON texts. */
static void
s_add (Corpus *corpus, const char *id, gboolean ts, const char *object, gssize object_len,
       const char *method, gssize method_len, const char *args, const char *kwargs)
{
  Call *c = s_call_new ();

  s_member (c, "v", "1", -1);
  if (id != NULL)
    s_member (c, "id", id, -1);
  s_member (c, "op", "\"call\"", -1);
  if (ts)
    s_member (c, "ts", "true", -1);
  if (object != NULL)
    s_member (c, "object", object, object_len);
  s_member (c, "method", method, method_len);
  if (args != NULL)
    s_member (c, "args", args, -1);
  if (kwargs != NULL)
    s_member (c, "kwargs", kwargs, -1);
  g_ptr_array_add (corpus->calls, c);
}

static void
s_add_named (Corpus *corpus, const char *object, gssize object_len, const char *method,
             gssize method_len)
{
  s_add (corpus, "5", FALSE, object, object_len, method, method_len, "[1,2]", NULL);
}

/* Calls as OlClient writes them, through the client's own encoder: the fast
 * decoder must take them. */
static void
test_client_layout (void)
{
  static const char *const plain_names[] = { "calc", "add", "", "a b", "\xc3\xa9t\xc3\xa9",
                                             "~", "/" };
  static const guint64 client_ids[] = { 0, 1, 42, 999999999999999999u };
  static const char *const args[] = { NULL, "[]", "[1,2]", "[1,{\"a\":[null,true]},\"x\"]" };
  static const char *const kwargs[] = { NULL, "{}", "{\"b\":5}", "{\"a\":{\"b\":[1.5]}}" };
  Tally t = { 0 };

  for (gsize a = 0; a < G_N_ELEMENTS (args); a++)
    for (gsize k = 0; k < G_N_ELEMENTS (kwargs); k++)
      for (gsize n = 0; n < G_N_ELEMENTS (plain_names); n++)
        for (int ts = 0; ts < 2; ts++)
          {
            g_autoptr (GString) out = g_string_new (NULL);
            g_autoptr (json_t) jargs = args[a] ? json_loads (args[a], 0, NULL) : NULL;
            g_autoptr (json_t) jkwargs = kwargs[k] ? json_loads (kwargs[k], 0, NULL) : NULL;
            guint64 id = client_ids[(a + k + n) % G_N_ELEMENTS (client_ids)];
            gboolean with_object = (n + (gsize) ts) % 3 != 0;

            ol__wire_append_request_head (out, id, "call", ts, FALSE);
            if (with_object)
              g_assert_true (ol__wire_append_member_string (out, "object", plain_names[n]));
            g_assert_true (ol__wire_append_member_string (out, "method", plain_names[n]));
            if (jargs != NULL)
              ol__wire_append_member_json (out, "args", jargs);
            if (jkwargs != NULL)
              ol__wire_append_member_json (out, "kwargs", jkwargs);
            g_string_append_c (out, '}');
            if (!s_check (&t, out->str, out->len))
              {
                g_autofree char *shown = dc_show (out->str, out->len, 600);
                g_test_message ("the fast decoder gave up on %s", shown);
                g_test_fail ();
              }
          }
  s_report (&t, "client layout");
}

static void
s_build_corpus (Corpus *corpus)
{
  /* Ids, with and without ts. */
  for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
    for (int ts = 0; ts < 2; ts++)
      s_add (corpus, ids[i], ts, "\"calc\"", -1, "\"add\"", -1, "[1,2]", NULL);
  s_add (corpus, NULL, FALSE, "\"calc\"", -1, "\"add\"", -1, "[1,2]", NULL);

  /* Names: as method, as object, for a free function; as OlClient writes
   * them and as they are. */
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    for (int form = NAME_ENCODED; form <= NAME_RAW; form++)
      {
        gsize len = names[i].len < 0 ? strlen (names[i].bytes) : (gsize) names[i].len;
        g_autoptr (GString) text = g_string_new (NULL);

        s_append_name (text, names[i].bytes, len, form);
        s_add_named (corpus, "\"calc\"", -1, text->str, (gssize) text->len);
        s_add_named (corpus, text->str, (gssize) text->len, "\"add\"", -1);
        s_add_named (corpus, NULL, 0, text->str, (gssize) text->len);
      }
  for (gsize i = 0; i < G_N_ELEMENTS (escaped_names); i++)
    {
      g_autofree char *text = g_strdup_printf ("\"%s\"", escaped_names[i]);
      s_add_named (corpus, "\"calc\"", -1, text, -1);
      s_add_named (corpus, text, -1, "\"add\"", -1);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (long_names); i++)
    for (int tail = 0; tail < 3; tail++)
      {
        /* n bytes of "a", then ending in a 2-byte character or a quote. */
        int n = long_names[i];
        g_autofree char *bytes = g_malloc ((gsize) n + 1);
        g_autoptr (GString) text = g_string_new (NULL);

        memset (bytes, 'a', (gsize) n);
        bytes[n] = '\0';
        if (tail == 1 && n >= 2)
          memcpy (bytes + n - 2, "\xc3\xa9", 2);
        if (tail == 2)
          bytes[n - 1] = '"';
        s_append_name (text, bytes, (gsize) n, NAME_ENCODED);
        s_add_named (corpus, "\"calc\"", -1, text->str, (gssize) text->len);
        s_add_named (corpus, text->str, (gssize) text->len, "\"add\"", -1);
      }

  /* args and kwargs. */
  for (gsize a = 0; a < G_N_ELEMENTS (args_texts); a++)
    for (gsize k = 0; k < G_N_ELEMENTS (kwargs_texts); k++)
      if (a < 8 || k < 4)
        s_add (corpus, "9", (a + k) % 5 == 0, (a + k) % 3 ? "\"calc\"" : NULL, -1, "\"add\"", -1,
               args_texts[a], kwargs_texts[k]);

  /* Random mixes of all of it. */
  for (int i = 0; i < 300; i++)
    {
      const Name *object = &names[g_rand_int_range (corpus->rand, 0, G_N_ELEMENTS (names))];
      const Name *method = &names[g_rand_int_range (corpus->rand, 0, G_N_ELEMENTS (names))];
      g_autoptr (GString) o = g_string_new (NULL);
      g_autoptr (GString) m = g_string_new (NULL);
      NameForm form = g_rand_boolean (corpus->rand) ? NAME_ENCODED : NAME_RAW;

      s_append_name (o, object->bytes,
                     object->len < 0 ? strlen (object->bytes) : (gsize) object->len, form);
      s_append_name (m, method->bytes,
                     method->len < 0 ? strlen (method->bytes) : (gsize) method->len, form);
      s_add (corpus, ids[g_rand_int_range (corpus->rand, 0, G_N_ELEMENTS (ids))],
             g_rand_boolean (corpus->rand), g_rand_int_range (corpus->rand, 0, 4) ? o->str : NULL,
             (gssize) o->len, m->str, (gssize) m->len,
             args_texts[g_rand_int_range (corpus->rand, 0, G_N_ELEMENTS (args_texts))],
             kwargs_texts[g_rand_int_range (corpus->rand, 0, G_N_ELEMENTS (kwargs_texts))]);
    }
}

/* Bytes that matter to JSON and UTF-8. */
static const char alphabet[] = "{}[]\":,\\ \t\n\r0123456789-+.eEtrufalsn/u\x01\x1f\x7f\x80\xbf"
                               "\xc3\xed\xf4\xff";

static char
s_random_byte (GRand *rand)
{
  if (g_rand_int_range (rand, 0, 8) == 0)
    return (char) g_rand_int_range (rand, 0, 256);
  return alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
}

/* One byte-level mutation of text, in place. */
static void
s_mutate_bytes (GString *s, GRand *rand)
{
  static const char *const spaces[] = { " ", "\t", "\n", "\r", "  " };
  gint32 len = (gint32) s->len;
  gint32 at = g_rand_int_range (rand, 0, len + 1);

  switch (g_rand_int_range (rand, 0, 7))
    {
    case 0: /* delete a byte */
      if (at < len)
        g_string_erase (s, at, 1);
      break;
    case 1: /* insert a byte */
      g_string_insert_c (s, at, s_random_byte (rand));
      break;
    case 2: /* replace a byte */
    case 3:
      if (at < len)
        s->str[at] = s_random_byte (rand);
      break;
    case 4: /* add whitespace, after a brace, a bracket, a colon or a comma if any */
      for (gint32 i = at; i < len; i++)
        if (s->str[i] != '\0' && strchr ("{[:,", s->str[i]) != NULL)
          {
            at = i + 1;
            break;
          }
      g_string_insert (s, at, spaces[g_rand_int_range (rand, 0, G_N_ELEMENTS (spaces))]);
      break;
    case 5: /* truncate */
      g_string_truncate (s, (gsize) at);
      break;
    case 6: /* double a run of bytes */
      if (at < len)
        {
          gint32 n = g_rand_int_range (rand, 1, MIN (len - at, 16) + 1);
          g_autofree char *run = g_strndup (s->str + at, (gsize) n);
          g_string_insert_len (s, at, run, n);
        }
      break;
    }
}

/* One member-level mutation of c, in place. */
static void
s_mutate_members (Call *c, GRand *rand)
{
  static const char *const extra[] = {
    "\"frames\":true", "\"ts\":true", "\"ts\":false", "\"ts\":1", "\"extra\":1",
    "\"op\":\"call_named\"", "\"op\":\"list\"", "\"op\":\"version\"", "\"op\":\"call\"",
    "\"v\":2", "\"v\":\"1\"", "\"v\":1.0", "\"v\":1", "\"id\":1", "\"name\":\"calc\"",
    "\"enabled\":true", "\"object\":null", "\"args\":null", "\"kwargs\":null",
  };
  guint n = c->members->len;
  guint i = (guint) g_rand_int_range (rand, 0, (gint32) n);
  guint j = (guint) g_rand_int_range (rand, 0, (gint32) n);
  GString *m = c->members->pdata[i];

  switch (g_rand_int_range (rand, 0, 5))
    {
    case 0: /* swap two members */
      c->members->pdata[i] = c->members->pdata[j];
      c->members->pdata[j] = m;
      break;
    case 1: /* drop one */
      if (n > 1)
        g_ptr_array_remove_index (c->members, i);
      break;
    case 2: /* double one */
      g_ptr_array_insert (c->members, (gint) j, g_string_new_len (m->str, (gssize) m->len));
      break;
    case 3: /* its value null */
      {
        const char *colon = memchr (m->str, ':', m->len);
        g_string_truncate (m, (gsize) (colon - m->str) + 1);
        g_string_append (m, "null");
      }
      break;
    case 4: /* a member more, or in place of one */
      {
        GString *x = g_string_new (extra[g_rand_int_range (rand, 0, G_N_ELEMENTS (extra))]);
        if (g_rand_boolean (rand))
          g_ptr_array_insert (c->members, (gint) j, x);
        else
          {
            g_string_free (m, TRUE);
            c->members->pdata[i] = x;
          }
      }
      break;
    }
}

/* One to two byte-level mutations inside the value of one member of c, in
 * place: the layout around it stays the client's. */
static void
s_mutate_value (Call *c, GRand *rand)
{
  GString *m = c->members->pdata[g_rand_int_range (rand, 0, (gint32) c->members->len)];
  gsize key = (gsize) ((const char *) memchr (m->str, ':', m->len) - m->str) + 1;
  g_autoptr (GString) value = g_string_new_len (m->str + key, (gssize) (m->len - key));
  int k = 1 + g_rand_boolean (rand);

  while (k-- > 0)
    s_mutate_bytes (value, rand);
  g_string_truncate (m, key);
  g_string_append_len (m, value->str, (gssize) value->len);
}

static void
test_generated (void)
{
  Corpus corpus = { g_ptr_array_new_with_free_func ((GDestroyNotify) s_call_free),
                    g_rand_new_with_seed (SEED) };
  int byte_mutations = g_test_thorough () ? 400 : 32;
  int member_mutations = g_test_thorough () ? 80 : 10;
  int value_mutations = g_test_thorough () ? 160 : 24;
  Tally t = { 0 }, bases = { 0 };

  s_build_corpus (&corpus);
  for (guint b = 0; b < corpus.calls->len; b++)
    {
      const Call *call = corpus.calls->pdata[b];
      g_autoptr (GString) text = s_call_text (call);

      s_check (&bases, text->str, text->len);
      /* Every prefix of some. */
      if (b % 8 == 0 && text->len < 1024)
        for (gsize n = 0; n < text->len; n++)
          s_check (&t, text->str, n);
      /* Bytes: one to three mutations at a time. */
      for (int i = 0; i < byte_mutations; i++)
        {
          g_autoptr (GString) s = g_string_new_len (text->str, (gssize) text->len);
          int k = 1 + (g_rand_int_range (corpus.rand, 0, 4) == 0)
                  + (g_rand_int_range (corpus.rand, 0, 8) == 0);

          while (k-- > 0)
            s_mutate_bytes (s, corpus.rand);
          s_check (&t, s->str, s->len);
        }
      /* Members: swapped, dropped, doubled, nulled, added; then spaced. */
      for (int i = 0; i < member_mutations; i++)
        {
          Call *c = s_call_copy (call);
          g_autoptr (GString) s = NULL;

          s_mutate_members (c, corpus.rand);
          if (g_rand_boolean (corpus.rand))
            s_mutate_members (c, corpus.rand);
          s = s_call_text (c);
          s_check (&t, s->str, s->len);
          s_call_free (c);
        }
      /* Values: bytes of one member's value. */
      for (int i = 0; i < value_mutations; i++)
        {
          Call *c = s_call_copy (call);
          g_autoptr (GString) s = NULL;

          s_mutate_value (c, corpus.rand);
          s = s_call_text (c);
          s_check (&t, s->str, s->len);
          s_call_free (c);
        }
    }
  s_report (&bases, "generated calls");
  s_report (&t, "their mutations");
  t.checked += bases.checked;
  t.fast += bases.fast;
  t.general += bases.general;
  s_report (&t, "generated corpus");
  g_assert_cmpuint (bases.fast, >=, corpus.calls->len / 5);
  g_assert_cmpuint (t.checked, >=, 20000);
  g_ptr_array_unref (corpus.calls);
  g_rand_free (corpus.rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/decode/diff", test_diff);
  g_test_add_func ("/decode/known", test_known);
  g_test_add_func ("/decode/wire-cases", test_wire_cases);
  g_test_add_func ("/decode/depth", test_depth);
  g_test_add_func ("/decode/client-layout", test_client_layout);
  g_test_add_func ("/decode/generated", test_generated);
  return g_test_run ();
}
