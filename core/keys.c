/* CURVE keys, client socket options and the process's ZAP handler. */
#include "core/keys.h"

#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "oneliner/error.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/socket.h"
#include "core/startup.h"

/* A key file is a key and some white space: anything bigger is not one. */
#define KEY_FILE_MAX 4096
#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_POLL_MS 1000
#define ZAP_DOMAIN_MAX 32

static const char s_z85[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

gboolean
ol__curve_check_available (GError **error)
{
  if (!zmq_has ("curve"))
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_CONFIG,
                           "this libzmq was built without CURVE security: keys cannot be used");
      return FALSE;
    }
  return TRUE;
}

gboolean
ol__key_is_z85 (const char *text, size_t len)
{
  if (len != OL_KEY_Z85_LEN)
    return FALSE;
  for (size_t i = 0; i < len; i++)
    if (text[i] == '\0' || strchr (s_z85, text[i]) == NULL)
      return FALSE;
  return TRUE;
}

gboolean
ol__key_read_file (const char *path, char key[OL_KEY_Z85_LEN + 1], GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GMappedFile) file = NULL;
  const char *start, *end;
  gsize len;

  if (!ol__curve_check_available (error))
    return FALSE;
  if ((file = g_mapped_file_new (path, FALSE, &local)) == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "cannot read key file %s: %s", path,
                   local->message);
      return FALSE;
    }
  len = g_mapped_file_get_length (file);
  if (len > KEY_FILE_MAX)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "key file %s is not a key: larger than %d bytes", path, KEY_FILE_MAX);
      return FALSE;
    }
  start = len > 0 ? g_mapped_file_get_contents (file) : "";
  end = start + len;
  while (start < end && g_ascii_isspace (*start))
    start++;
  while (end > start && g_ascii_isspace (end[-1]))
    end--;
  if (!ol__key_is_z85 (start, (size_t) (end - start)))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "key file %s does not hold a key: %d characters of Z85 expected", path,
                   OL_KEY_Z85_LEN);
      return FALSE;
    }
  memcpy (key, start, OL_KEY_Z85_LEN);
  key[OL_KEY_Z85_LEN] = '\0';
  return TRUE;
}

OlClientKeys *
ol__client_keys_load (const char *secret_key_file, const char *server_key_file,
                      GError **error)
{
  OlClientKeys *k = g_new0 (OlClientKeys, 1);

  if (!ol__key_read_file (secret_key_file, k->secret, error)
      || !ol__key_read_file (server_key_file, k->server, error))
    goto fail;
  if (zmq_curve_public (k->public_key, k->secret) != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "key file %s does not hold a secret key",
                   secret_key_file);
      goto fail;
    }
  return k;
fail:
  memset (k, 0, sizeof *k);
  g_free (k);
  return NULL;
}

void
ol__client_keys_apply (const OlClientKeys *k, void *socket)
{
  if (k == NULL)
    return;
  zmq_setsockopt (socket, ZMQ_CURVE_SERVERKEY, k->server, OL_KEY_Z85_LEN + 1);
  zmq_setsockopt (socket, ZMQ_CURVE_PUBLICKEY, k->public_key, OL_KEY_Z85_LEN + 1);
  zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, k->secret, OL_KEY_Z85_LEN + 1);
}

/* ------------------------------------------------------------------------ */
/* The ZAP handler */

struct OlZapDomain {
  char name[ZAP_DOMAIN_MAX];
  char secret[OL_KEY_Z85_LEN + 1];
  char public_key[OL_KEY_Z85_LEN + 1];
  OlZapCheck check;
  gpointer data;
};

static OlMutex s_lock;          /* guards s_domains and the checks' calls */
static GHashTable *s_domains;   /* name -> OlZapDomain * (borrowed) */
static OlStartup s_startup;
static guint s_next_domain;

/* Logs a connection refused (core/log.h), at most a few a second whatever
 * peers send: its address (frame 3) and, with CURVE, its key. */
static void
s_log_refused (int n, zmq_msg_t *f, const char *key)
{
  static OlLogLimit limit;
  char more[OL_LOG_LIMIT_SUFFIX], peer[64] = "";
  gsize len;

  if (!ol__log_limit_take (&limit, more))
    return;
  if (n >= 4)
    {
      /* An address from libzmq, but bounded and printable all the same. */
      len = MIN (zmq_msg_size (&f[3]), sizeof peer - 1);
      memcpy (peer, zmq_msg_data (&f[3]), len);
      peer[len] = '\0';
      for (gsize i = 0; i < len; i++)
        if (!g_ascii_isprint (peer[i]))
          peer[i] = '?';
    }
  ol__log_event ("client-refused",
                 (const char *const[]) { "ONELINER_PEER", peer[0] ? peer : NULL,
                                         "ONELINER_KEY", key[0] ? key : NULL, NULL },
                 "client refused: %s%s%s%s%s", key[0] ? "key " : "a client without a key",
                 key, peer[0] ? " from " : "", peer, more);
}

/* Answers one ZAP request (RFC 27) on rep: version, request id, domain,
 * address, routing id, mechanism, credentials. */
static void
s_zap_answer (void *rep)
{
  zmq_msg_t f[8];
  int n = 0, more = 1;
  const char *status = "400", *text = "not authorized";
  char user_id[OL_KEY_Z85_LEN + 1] = "";

  while (more)
    {
      zmq_msg_t discard;
      zmq_msg_t *m = n < 8 ? &f[n] : &discard;

      zmq_msg_init (m);
      if (zmq_msg_recv (m, rep, 0) < 0)
        {
          zmq_msg_close (m);
          break;
        }
      more = zmq_msg_more (m);
      if (n < 8)
        n++;
      else
        zmq_msg_close (m);
    }
  if (n >= 7 && zmq_msg_size (&f[5]) == 5 && memcmp (zmq_msg_data (&f[5]), "CURVE", 5) == 0
      && zmq_msg_size (&f[6]) == 32 && zmq_msg_size (&f[2]) < ZAP_DOMAIN_MAX)
    {
      char domain[ZAP_DOMAIN_MAX];
      OlZapDomain *d;

      memcpy (domain, zmq_msg_data (&f[2]), zmq_msg_size (&f[2]));
      domain[zmq_msg_size (&f[2])] = '\0';
      zmq_z85_encode (user_id, zmq_msg_data (&f[6]), 32);
      ol__mutex_lock (&s_lock);
      d = g_hash_table_lookup (s_domains, domain);
      if (d != NULL && d->check (d->data, user_id))
        {
          status = "200";
          text = "OK";
        }
      ol__mutex_unlock (&s_lock);
    }
  if (strcmp (status, "200") != 0)
    {
      s_log_refused (n, f, user_id);
      user_id[0] = '\0';
    }
  /* The request id echoes frame 1; a malformed request gets none. */
  zmq_send (rep, "1.0", 3, ZMQ_SNDMORE);
  if (n >= 2)
    zmq_send (rep, zmq_msg_data (&f[1]), zmq_msg_size (&f[1]), ZMQ_SNDMORE);
  else
    zmq_send (rep, "", 0, ZMQ_SNDMORE);
  zmq_send (rep, status, 3, ZMQ_SNDMORE);
  zmq_send (rep, text, strlen (text), ZMQ_SNDMORE);
  zmq_send (rep, user_id, strlen (user_id), ZMQ_SNDMORE);
  zmq_send (rep, "", 0, 0);
  for (int i = 0; i < n; i++)
    zmq_msg_close (&f[i]);
}

static gpointer
s_zap_thread (gpointer unused)
{
  void *rep = zmq_socket (ol__zmq_context (), ZMQ_REP);
  int linger = 0;

  (void) unused;
  zmq_setsockopt (rep, ZMQ_LINGER, &linger, sizeof linger);
  if (zmq_bind (rep, ZAP_ENDPOINT) != 0)
    {
      ol__startup_report (&s_startup, g_error_new (OL_ERROR, OL_ERROR_SOCKET,
                                                   "cannot bind the ZAP handler: %s",
                                                   zmq_strerror (errno)));
      zmq_close (rep);
      return NULL;
    }
  ol__startup_report (&s_startup, NULL);
  /* The handler serves the process until it exits, like the context. */
  for (;;)
    {
      zmq_pollitem_t item = { rep, 0, ZMQ_POLLIN, 0 };

      if (zmq_poll (&item, 1, ZAP_POLL_MS) < 0)
        {
          if (errno == EINTR)
            continue;
          g_warning ("ZAP handler: zmq_poll failed: %s", zmq_strerror (errno));
          break;
        }
      if (item.revents & ZMQ_POLLIN)
        s_zap_answer (rep);
    }
  zmq_close (rep);
  return NULL;
}

static gpointer
s_zap_start (gpointer unused)
{
  GError *error = NULL;

  (void) unused;
  ol__mutex_init (&s_lock);
  s_domains = g_hash_table_new (g_str_hash, g_str_equal);
  ol__startup_init (&s_startup);
  g_thread_unref (g_thread_new ("ol-zap", s_zap_thread, NULL));
  if (!ol__startup_wait (&s_startup, "the ZAP handler", &error))
    return error;
  return NULL;
}

OlZapDomain *
ol__zap_domain_new (const char *secret_key, OlZapCheck check, gpointer data, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  GError *start_error = g_once (&once, s_zap_start, NULL);
  OlZapDomain *d;

  if (start_error != NULL)
    {
      g_propagate_error (error, g_error_copy (start_error));
      return NULL;
    }
  d = g_new0 (OlZapDomain, 1);
  g_strlcpy (d->secret, secret_key, sizeof d->secret);
  if (zmq_curve_public (d->public_key, d->secret) != 0)
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_CONFIG, "not a secret key");
      g_free (d);
      return NULL;
    }
  d->check = check;
  d->data = data;
  ol__mutex_lock (&s_lock);
  g_snprintf (d->name, sizeof d->name, "oneliner-%u", s_next_domain++);
  g_hash_table_insert (s_domains, d->name, d);
  ol__mutex_unlock (&s_lock);
  return d;
}

void
ol__zap_domain_free (OlZapDomain *d)
{
  if (d == NULL)
    return;
  ol__mutex_lock (&s_lock);
  g_hash_table_remove (s_domains, d->name);
  ol__mutex_unlock (&s_lock);
  memset (d->secret, 0, sizeof d->secret);
  g_free (d);
}

void
ol__zap_domain_apply (const OlZapDomain *d, void *socket)
{
  int server = 1;

  if (d == NULL)
    return;
  zmq_setsockopt (socket, ZMQ_CURVE_SERVER, &server, sizeof server);
  zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, d->secret, OL_KEY_Z85_LEN + 1);
  zmq_setsockopt (socket, ZMQ_ZAP_DOMAIN, d->name, strlen (d->name));
}

const char *
ol__zap_domain_public_key (const OlZapDomain *d)
{
  return d->public_key;
}
