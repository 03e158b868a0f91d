/* Same-host frames through shared memory (docs/PROTOCOL.md, "Same-host
 * frames").
 *
 * The server's proxy thread owns the rings, one per slot size (64 KiB << i):
 * anonymous memory files (memfd_create, sealed against shrinking and
 * growing) of fixed-size slots, each with a generation counter that is odd
 * while the slot is written. A large payload of a stream that a same-host
 * subscriber asked for on the shared-memory topic (0x01 NAME 0x00) is copied
 * once into the next slot of the ring of its size and the message on that
 * topic carries a descriptor (ring, slot, length, generation, side-channel
 * address) instead of the payload. The rings' file descriptors are handed
 * out over a unix socket in the abstract namespace (the side channel), to
 * peers of the server's own user only (SO_PEERCRED). Nothing is ever named in
 * the file system: a killed process leaves nothing behind.
 *
 * The subscriber maps a ring read-only and copies a frame out of its slot
 * when it receives the descriptor; the slot's generation, read before and
 * after the copy, tells a frame overwritten meanwhile (torn), which is
 * dropped: its sequence number then counts as missed.
 *
 * Thread rules: an OlShmServer belongs to the proxy thread, an OlShmReader
 * to the receiver thread; the functions without an object are pure or read
 * the environment.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The first byte of a shared-memory topic: 0x01 NAME 0x00. */
#define OL_SHM_TOPIC_BYTE 0x01
/* The first byte of a hello topic: 0x02, 16 hexadecimal digits that the
 * subscriber picks at random, 0x00. A server that serves same-host frames
 * answers a subscription to it with one message on that topic. */
#define OL_SHM_HELLO_BYTE 0x02
#define OL_SHM_HELLO_SIZE 18
/* A descriptor: 32 bytes, then the side channel's abstract name. */
#define OL_SHM_DESC_FIXED 32
#define OL_SHM_ADDRESS_MAX 100
#define OL_SHM_DESC_MAX (OL_SHM_DESC_FIXED + OL_SHM_ADDRESS_MAX)
/* Ring layout. */
#define OL_SHM_RING_HEADER 64
#define OL_SHM_SLOT_HEADER 64
#define OL_SHM_PAGE 4096
#define OL_SHM_MAX_SLOTS 1024
#define OL_SHM_MAX_SLOT_SIZE (G_GUINT64_CONSTANT (1) << 30)
/* Rings of one server: slot sizes 64 KiB << i, i < OL_SHM_MAX_RINGS. */
#define OL_SHM_MAX_RINGS 15
#define OL_SHM_MIN_SLOT_SIZE (G_GUINT64_CONSTANT (64) * 1024)
/* The side channel's answer: a 16-byte head, 16 bytes per ring, and the
 * rings' file descriptors. */
#define OL_SHM_ANSWER_HEAD 16
#define OL_SHM_ANSWER_MAX (OL_SHM_ANSWER_HEAD + 16 * OL_SHM_MAX_RINGS)

typedef struct {
  guint32 slot;
  guint64 ring;              /* the ring's id, never 0 */
  guint64 generation;        /* the slot's generation once written: even, not 0 */
  guint64 length;            /* the payload's bytes */
  char address[OL_SHM_ADDRESS_MAX + 1]; /* the side channel's abstract name,
                                           without its leading NUL */
} OlShmDesc;

/* Whether same-host frames are allowed in this process: not when
 * ONELINER_SHM is "0". */
gboolean ol__shm_enabled (void);

/* The smallest payload that goes through the ring: ONELINER_SHM_THRESHOLD
 * (bytes, at least 1), 65536 by default. */
gsize ol__shm_threshold (void);

/* Whether a connect endpoint reaches this host: ipc://, or tcp:// to
 * localhost, a loopback address, an address of a local interface or this
 * host's name. */
gboolean ol__shm_endpoint_is_local (const char *endpoint);

/* Whether data is a hello topic (OL_SHM_HELLO_BYTE, 16 hexadecimal digits, NUL). */
gboolean ol__shm_hello_check (const guint8 *data, gsize size);

/* Encodes desc into out (OL_SHM_DESC_MAX bytes at least); returns the size. */
gsize ol__shm_desc_encode (const OlShmDesc *desc, guint8 *out);

/* Decodes and checks a descriptor frame; FALSE with OL_ERROR_PROTOCOL. */
gboolean ol__shm_desc_decode (const guint8 *data, gsize size, OlShmDesc *desc,
                              GError **error);

/* ------------------------------------------------------------------------ */
/* The publishing side (the proxy thread) */

typedef struct OlShmServer OlShmServer;

/* Listens on a fresh abstract unix socket. NULL with OL_ERROR_SOCKET.
 * (transfer full) */
OlShmServer *ol__shm_server_new (GError **error);

/* The side channel's abstract name, without its leading NUL. (transfer none) */
const char *ol__shm_server_address (OlShmServer *server);

/* The listening socket, for the proxy's poll. */
int ol__shm_server_fd (OlShmServer *server);

/* Answers every pending connection of the side channel, never blocking. */
void ol__shm_server_serve (OlShmServer *server);

/* Copies size bytes of data into the next slot of the ring of its size
 * class (made with its first frame) and describes it in desc. FALSE if it cannot (too big,
 * no memory): the caller sends the payload inline. */
gboolean ol__shm_server_write (OlShmServer *server, const void *data, gsize size,
                               OlShmDesc *desc);

/* Frames written, side-channel answers given. */
guint64 ol__shm_server_written (OlShmServer *server);

void ol__shm_server_free (OlShmServer *server);

/* ------------------------------------------------------------------------ */
/* The subscribing side (the receiver thread) */

typedef struct OlShmReader OlShmReader;

typedef enum {
  OL_SHM_READ_OK,
  OL_SHM_READ_TORN,          /* overwritten, or of a ring no longer there */
  OL_SHM_READ_FAILED,        /* the side channel or the ring is unusable */
} OlShmRead;

/* (transfer full) */
OlShmReader *ol__shm_reader_new (void);

/* Makes sure the ring of desc is mapped (asking its side channel for it,
 * bounded by 2 s) and that desc fits it. FAILED with an error saying
 * why; TORN when the server has no such ring. */
OlShmRead ol__shm_reader_prepare (OlShmReader *reader, const OlShmDesc *desc,
                                  GError **error);

/* After a successful prepare: copies the frame of desc (desc->length
 * bytes) into out and checks that its slot was not written meanwhile:
 * OK or TORN. */
OlShmRead ol__shm_reader_copy (OlShmReader *reader, const OlShmDesc *desc, void *out);

/* Unmaps every ring. */
void ol__shm_reader_reset (OlShmReader *reader);

void ol__shm_reader_free (OlShmReader *reader);

G_END_DECLS
