/* CURVE keys: key files, the options of a CURVE client socket, and the ZAP
 * handler that authenticates the handshakes of every CURVE server socket of
 * the process (core/keys.c).
 *
 * A key file holds one key in Z85 (40 characters) and optional white space
 * around it. Errors name the file, never its content.
 *
 * libzmq has one ZAP endpoint per context (inproc://zeromq.zap.01) and
 * oneliner one context per process (core/socket.c): one handler thread
 * serves every server of the process, each with its own ZAP domain. The
 * thread starts with the first domain and lives as long as the process; it
 * waits on its socket for at most a second at a time.
 *
 * Thread rules: every function may be called from any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Characters of a key in Z85. */
#define OL_KEY_Z85_LEN 40

/* Fails with OL_ERROR_CONFIG unless libzmq was built with CURVE. */
gboolean ol__curve_check_available (GError **error);

/* Whether text holds exactly OL_KEY_Z85_LEN characters of the Z85
 * alphabet. */
gboolean ol__key_is_z85 (const char *text, size_t len);

/* Reads the key of the file at path into key (NUL-terminated). Fails with
 * OL_ERROR_CONFIG naming the file. */
gboolean ol__key_read_file (const char *path, char key[OL_KEY_Z85_LEN + 1], GError **error);

/* The keys of a CURVE client: its own pair and the server's public key. */
typedef struct {
  char secret[OL_KEY_Z85_LEN + 1];
  char public_key[OL_KEY_Z85_LEN + 1];
  char server[OL_KEY_Z85_LEN + 1];
} OlClientKeys;

/* Reads the client's secret key and the server's public key; derives the
 * client's public key. Returns NULL with OL_ERROR_CONFIG naming the file
 * at fault. Free with g_free(). (transfer full) */
OlClientKeys *ol__client_keys_load (const char *secret_key_file, const char *server_key_file,
                                    GError **error);

/* Makes socket a CURVE client with keys, before it connects; nothing if
 * keys is NULL. */
void ol__client_keys_apply (const OlClientKeys *keys, void *socket);

/* The ZAP handler's answer for one client key (its Z85 text): TRUE to let
 * it in. Called on the ZAP thread. */
typedef gboolean (*OlZapCheck) (gpointer data, const char *public_key);

/* A ZAP domain: a server's secret key and the check of its clients. */
typedef struct OlZapDomain OlZapDomain;

/* Registers a domain (starting the handler thread the first time) whose
 * server sockets use secret_key, and whose clients check lets in. Fails
 * with OL_ERROR_SOCKET if the handler cannot start. (transfer full) */
OlZapDomain *ol__zap_domain_new (const char *secret_key, OlZapCheck check, gpointer data,
                                 GError **error);

/* Unregisters the domain: once it returns, check is no longer called. */
void ol__zap_domain_free (OlZapDomain *domain);

/* Makes socket a CURVE server of domain, before it binds; nothing if domain
 * is NULL. */
void ol__zap_domain_apply (const OlZapDomain *domain, void *socket);

/* The public key of a domain's server, Z85. (transfer none) */
const char *ol__zap_domain_public_key (const OlZapDomain *domain);

G_END_DECLS
