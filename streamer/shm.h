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
 * A payload may also be written into a slot by the application itself
 * (ol__shm_server_reserve, ol_stream_writer_reserve): the proxy then only
 * describes it. The server holds a lease of its own on such a slot for as
 * long as the payload is on its way to plain subscribers.
 *
 * The subscriber maps a ring read-only and reads a frame in place: it
 * leases the slot in its own lease table (a small memory file the side
 * channel gives it, which the server reads) and checks the slot's
 * generation; the server never writes a slot that a live subscriber or it
 * itself leases. A subscriber that holds too many slots of a ring, or has
 * no lease table, copies the frame out instead, the generation read before
 * and after the copy telling a frame overwritten meanwhile (torn), which is
 * dropped: its sequence number then counts as missed.
 *
 * Thread rules: an OlShmServer may be used from any thread (its rings and
 * lease tables under its lock; the side channel from the proxy thread); an
 * OlShmReader belongs to the receiver thread, its leases are released from
 * any thread; the functions without an object are pure or read the
 * environment.
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
/* The answer's flag: the last file descriptor is the peer's lease table. */
#define OL_SHM_ANSWER_LEASES 1u
/* A lease table: one byte per slot of each ring, at (ring's size class) *
 * OL_SHM_MAX_SLOTS + slot; 1 while the peer holds the slot. */
#define OL_SHM_LEASE_SIZE 16384
/* Lease tables a server gives out at once; later peers copy frames out. */
#define OL_SHM_MAX_LEASERS 32

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

/* Copies size bytes of data into the next free slot of the ring of its
 * size class (made with its first frame) and describes it in desc. FALSE if
 * it cannot (too big, no memory, every slot leased): the caller sends the
 * payload inline. Any thread. */
gboolean ol__shm_server_write (OlShmServer *server, const void *data, gsize size,
                               OlShmDesc *desc);

/* A slot taken for the application to write a payload of size bytes into
 * (data): the slot is being written (odd generation) and leased by the
 * server until ol__shm_server_release(). */
typedef struct {
  guint8 *data;
  gsize size;
  guint ring;                /* the size class */
  guint32 slot;
  guint64 generation;        /* odd: being written */
} OlShmSlot;

/* Takes a free slot of the ring of size's class; FALSE as for
 * ol__shm_server_write. Any thread. */
gboolean ol__shm_server_reserve (OlShmServer *server, gsize size, OlShmSlot *slot);

/* Ends the writing of slot: its payload is the slot->size bytes now there
 * (a new generation, even). The server's lease stays. */
void ol__shm_server_commit (OlShmServer *server, const OlShmSlot *slot);

/* Ends the server's lease of a slot (reserved, then committed). Any thread. */
void ol__shm_server_release (OlShmServer *server, guint ring, guint32 slot);

/* Whether size bytes at data are the payload of a committed slot that the
 * server still leases; describes it in desc. Any thread. */
gboolean ol__shm_server_describe (OlShmServer *server, const void *data, gsize size,
                                  OlShmDesc *desc);

/* The smallest payload the server's rings take (ol__shm_threshold() when it
 * was made). */
gsize ol__shm_server_threshold (OlShmServer *server);

OlShmServer *ol__shm_server_ref (OlShmServer *server);

/* Frames written, side-channel answers given. */
guint64 ol__shm_server_written (OlShmServer *server);

/* Closes the side channel and forgets every lease table: the proxy
 * thread, when it ends (frames still on their way keep the rings). */
void ol__shm_server_close (OlShmServer *server);

/* Drops a reference: the last closes the side channel and the rings. */
void ol__shm_server_free (OlShmServer *server);

/* ------------------------------------------------------------------------ */
/* The subscribing side (the receiver thread) */

typedef struct OlShmReader OlShmReader;

typedef enum {
  OL_SHM_READ_OK,
  OL_SHM_READ_TORN,          /* overwritten, or of a ring no longer there */
  OL_SHM_READ_FAILED,        /* the side channel or the ring is unusable */
  OL_SHM_READ_COPY,          /* no lease now: the frame is to be copied out */
} OlShmRead;

/* A slot leased by a reader: its bytes stay as they are until released. */
typedef struct OlShmLease OlShmLease;

/* (transfer full) */
OlShmReader *ol__shm_reader_new (void);

/* Makes sure the ring of desc is mapped (asking its side channel for it,
 * bounded by 2 s) and that desc fits it. FAILED with an error saying
 * why; TORN when the server has no such ring. */
OlShmRead ol__shm_reader_prepare (OlShmReader *reader, const OlShmDesc *desc,
                                  GError **error);

/* After a successful prepare: leases the slot of desc and gives its
 * payload in place (desc->length bytes at *data, valid until
 * ol__shm_lease_release): OK; TORN when the slot was written meanwhile;
 * COPY when the reader has no lease table from the server or already holds
 * half the ring's slots. */
OlShmRead ol__shm_reader_lease (OlShmReader *reader, const OlShmDesc *desc,
                                OlShmLease **lease, const guint8 **data);

/* Lets the server write the slot again; the lease is freed. Any thread. */
void ol__shm_lease_release (OlShmLease *lease);

/* After a successful prepare: copies the frame of desc (desc->length
 * bytes) into out and checks that its slot was not written meanwhile:
 * OK or TORN. */
OlShmRead ol__shm_reader_copy (OlShmReader *reader, const OlShmDesc *desc, void *out);

/* Lets go of every ring (a ring stays mapped while a lease of it is held). */
void ol__shm_reader_reset (OlShmReader *reader);

void ol__shm_reader_free (OlShmReader *reader);

G_END_DECLS
