/* Same-host frames through shared memory: the ring, its descriptor and the
 * side channel (streamer/shm.h, docs/PROTOCOL.md "Same-host frames"). */
#include "streamer/shm.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "oneliner/error.h"
#include "core/le.h"
#include "core/lock.h"
#include "core/tsan.h"

#define DEFAULT_THRESHOLD 65536
/* The ring's slots take about this much memory, within 4 to 256 slots. */
#define RING_BUDGET (32u << 20)
#define RING_MIN_SLOTS 4
#define RING_MAX_SLOTS 256
/* The client's bound on the side channel's answer. */
#define FETCH_TIMEOUT_MS 2000

static const char RING_MAGIC[8] = { 'O', 'L', 'S', 'H', 'M', 'R', 'N', 'G' };
static const char ANSWER_MAGIC[8] = { 'O', 'L', 'S', 'H', 'M', 'F', 'D', '1' };
#define RING_VERSION 1
#define DESC_VERSION 1

gboolean
ol__shm_enabled (void)
{
  const char *v = g_getenv ("ONELINER_SHM");

  return v == NULL || strcmp (v, "0") != 0;
}

gsize
ol__shm_threshold (void)
{
  const char *v = g_getenv ("ONELINER_SHM_THRESHOLD");
  guint64 n;

  if (v != NULL && g_ascii_string_to_unsigned (v, 10, 1, G_MAXSIZE, &n, NULL))
    return (gsize) n;
  return DEFAULT_THRESHOLD;
}

/* Slots of a ring of slot_size: ONELINER_SHM_SLOTS (2 to 1024) if set, else
 * what fits the budget. */
static guint32
s_slot_count (guint64 slot_size)
{
  const char *v = g_getenv ("ONELINER_SHM_SLOTS");
  guint64 n;

  if (v != NULL && g_ascii_string_to_unsigned (v, 10, 2, OL_SHM_MAX_SLOTS, &n, NULL))
    return (guint32) n;
  n = RING_BUDGET / slot_size;
  return (guint32) CLAMP (n, RING_MIN_SLOTS, RING_MAX_SLOTS);
}

static gboolean
s_address_is_local (const struct sockaddr *a)
{
  struct ifaddrs *ifs, *i;
  gboolean found = FALSE;

  if (a->sa_family == AF_INET
      && (ntohl (((const struct sockaddr_in *) a)->sin_addr.s_addr) >> 24) == 127)
    return TRUE;
  if (a->sa_family == AF_INET6
      && (IN6_IS_ADDR_LOOPBACK (&((const struct sockaddr_in6 *) a)->sin6_addr)
          || IN6_IS_ADDR_V4MAPPED (&((const struct sockaddr_in6 *) a)->sin6_addr)))
    {
      const struct in6_addr *in6 = &((const struct sockaddr_in6 *) a)->sin6_addr;

      if (IN6_IS_ADDR_LOOPBACK (in6) || in6->s6_addr[12] == 127)
        return TRUE;
    }
  if (getifaddrs (&ifs) != 0)
    return FALSE;
  for (i = ifs; i != NULL && !found; i = i->ifa_next)
    {
      if (i->ifa_addr == NULL || i->ifa_addr->sa_family != a->sa_family)
        continue;
      if (a->sa_family == AF_INET)
        found = ((const struct sockaddr_in *) a)->sin_addr.s_addr
                == ((const struct sockaddr_in *) i->ifa_addr)->sin_addr.s_addr;
      else if (a->sa_family == AF_INET6)
        found = memcmp (&((const struct sockaddr_in6 *) a)->sin6_addr,
                        &((const struct sockaddr_in6 *) i->ifa_addr)->sin6_addr,
                        sizeof (struct in6_addr)) == 0;
    }
  freeifaddrs (ifs);
  return found;
}

gboolean
ol__shm_endpoint_is_local (const char *endpoint)
{
  g_autofree char *host = NULL;
  const char *rest, *colon;
  struct addrinfo hints = { 0 }, *res = NULL;
  gboolean local = FALSE;

  if (g_str_has_prefix (endpoint, "ipc://"))
    return TRUE;
  if (!g_str_has_prefix (endpoint, "tcp://"))
    return FALSE;
  rest = endpoint + 6;
  /* tcp://[source;]host:port: a source address says nothing of the peer. */
  if (strchr (rest, ';') != NULL)
    rest = strchr (rest, ';') + 1;
  colon = strrchr (rest, ':');
  if (colon == NULL || colon == rest)
    return FALSE;
  host = g_strndup (rest, (gsize) (colon - rest));
  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    {
      char *inner = g_strndup (host + 1, strlen (host) - 2);

      g_free (host);
      host = inner;
    }
  if (g_ascii_strcasecmp (host, "localhost") == 0
      || g_ascii_strcasecmp (host, g_get_host_name ()) == 0)
    return TRUE;
  /* Numeric addresses only: a name is not resolved here (no DNS wait). */
  hints.ai_flags = AI_NUMERICHOST;
  hints.ai_family = AF_UNSPEC;
  if (getaddrinfo (host, NULL, &hints, &res) != 0)
    return FALSE;
  local = res != NULL && s_address_is_local (res->ai_addr);
  freeaddrinfo (res);
  return local;
}

gboolean
ol__shm_hello_check (const guint8 *data, gsize size)
{
  if (size != OL_SHM_HELLO_SIZE || data[0] != OL_SHM_HELLO_BYTE || data[size - 1] != 0)
    return FALSE;
  for (gsize i = 1; i < size - 1; i++)
    if (!g_ascii_isxdigit (data[i]))
      return FALSE;
  return TRUE;
}

gsize
ol__shm_desc_encode (const OlShmDesc *d, guint8 *out)
{
  gsize alen = strlen (d->address);

  ol__put32le (out, DESC_VERSION);
  ol__put32le (out + 4, d->slot);
  ol__put64le (out + 8, d->ring);
  ol__put64le (out + 16, d->generation);
  ol__put64le (out + 24, d->length);
  memcpy (out + OL_SHM_DESC_FIXED, d->address, alen);
  return OL_SHM_DESC_FIXED + alen;
}

gboolean
ol__shm_desc_decode (const guint8 *data, gsize size, OlShmDesc *d, GError **error)
{
  gsize alen;

  if (size < OL_SHM_DESC_FIXED + 1 || size > OL_SHM_DESC_MAX)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "a shared-memory descriptor of %" G_GSIZE_FORMAT " bytes (%d to %d)",
                   size, OL_SHM_DESC_FIXED + 1, OL_SHM_DESC_MAX);
      return FALSE;
    }
  if (ol__get32le (data) != DESC_VERSION)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "a shared-memory descriptor of version %" G_GUINT32_FORMAT " (1)",
                   ol__get32le (data));
      return FALSE;
    }
  d->slot = ol__get32le (data + 4);
  d->ring = ol__get64le (data + 8);
  d->generation = ol__get64le (data + 16);
  d->length = ol__get64le (data + 24);
  alen = size - OL_SHM_DESC_FIXED;
  for (gsize i = 0; i < alen; i++)
    if (data[OL_SHM_DESC_FIXED + i] < 0x21 || data[OL_SHM_DESC_FIXED + i] > 0x7e)
      {
        g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                     "a shared-memory descriptor whose address is not printable ASCII");
        return FALSE;
      }
  memcpy (d->address, data + OL_SHM_DESC_FIXED, alen);
  d->address[alen] = '\0';
  if (d->ring == 0 || d->generation == 0 || (d->generation & 1) != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "a shared-memory descriptor with ring 0 or an odd or zero generation");
      return FALSE;
    }
  return TRUE;
}

/* The slot table entry of slot i: generation, then length. */
static guint64 *
s_slot_generation (guint8 *base, guint32 i)
{
  return (guint64 *) (base + OL_SHM_RING_HEADER + (gsize) i * OL_SHM_SLOT_HEADER);
}

static guint64
s_data_offset (guint32 slots)
{
  guint64 table = OL_SHM_RING_HEADER + (guint64) slots * OL_SHM_SLOT_HEADER;

  return (table + OL_SHM_PAGE - 1) / OL_SHM_PAGE * OL_SHM_PAGE;
}

/* ------------------------------------------------------------------------ */
/* The publishing side */

typedef struct {
  int fd;
  guint8 *base;              /* (owned) mapped read-write */
  gsize size;
  guint32 slots;
  guint64 slot_size;
  guint64 data_offset;
  guint64 id;
  atomic_uint next;          /* the slot tried next, modulo slots */
} Ring;

/* A peer's lease table, read by the server; the peer's connection to the
 * side channel stays open while it holds it. */
typedef struct {
  int fd;
  guint8 *table;             /* (owned) mapped, OL_SHM_LEASE_SIZE bytes */
} Leaser;

struct OlShmServer {
  gatomicrefcount ref;       /* the proxy, and each slot the server leases */
  int listen_fd;
  char address[OL_SHM_ADDRESS_MAX + 1];
  gsize threshold;
  OlMutex lock;              /* guards the making of rings, leasers */
  /* One ring per slot size, 64 KiB << i, made with the first frame of that
   * size class: small frames are not held back by the slots of big ones.
   * Set once under lock, read without (atomic). */
  Ring *rings[OL_SHM_MAX_RINGS]; /* (owned) (nullable) */
  Leaser leasers[OL_SHM_MAX_LEASERS];
  guint n_leasers;
  guint8 own[OL_SHM_LEASE_SIZE]; /* the server's own leases (atomic) */
  atomic_uint_fast64_t written;
  gboolean warned;           /* a ring could not be made */
};

static void
s_ring_free (Ring *r)
{
  if (r == NULL)
    return;
  if (r->base != NULL)
    munmap (r->base, r->size);
  if (r->fd >= 0)
    close (r->fd);
  g_free (r);
}

static Ring *
s_ring_new (guint64 slot_size, GError **error)
{
  Ring *r = g_new0 (Ring, 1);
  guint64 size;
  char name[64];

  r->fd = -1;
  r->slots = s_slot_count (slot_size);
  r->slot_size = slot_size;
  r->data_offset = s_data_offset (r->slots);
  size = r->data_offset + (guint64) r->slots * slot_size;
  r->size = (gsize) size;
  do
    r->id = ((guint64) g_random_int () << 32) | g_random_int ();
  while (r->id == 0);
  /* The name shows in /proc/PID/maps only; it names nothing on disk. */
  g_snprintf (name, sizeof name, "oneliner-ring-%d", (int) getpid ());
  r->fd = memfd_create (name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (r->fd < 0 || ftruncate (r->fd, (off_t) size) != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET,
                   "cannot make a shared-memory ring of %" G_GUINT64_FORMAT " bytes: %s",
                   size, g_strerror (errno));
      s_ring_free (r);
      return NULL;
    }
  /* Readers may rely on the size: nobody can shrink (SIGBUS) nor grow it. */
  if (fcntl (r->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "cannot seal a shared-memory ring: %s",
                   g_strerror (errno));
      s_ring_free (r);
      return NULL;
    }
  r->base = mmap (NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
  if (r->base == MAP_FAILED)
    {
      r->base = NULL;
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "cannot map a shared-memory ring: %s",
                   g_strerror (errno));
      s_ring_free (r);
      return NULL;
    }
  /* Mappings made from now on are read-only (Linux 5.1); the writer's own
   * stays writable. Older kernels: readers map read-only all the same. */
#ifdef F_SEAL_FUTURE_WRITE
  fcntl (r->fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE);
#endif
  fcntl (r->fd, F_ADD_SEALS, F_SEAL_SEAL);
  memcpy (r->base, RING_MAGIC, 8);
  ol__put32le (r->base + 8, RING_VERSION);
  ol__put32le (r->base + 12, r->slots);
  ol__put64le (r->base + 16, r->slot_size);
  ol__put64le (r->base + 24, r->id);
  ol__put64le (r->base + 32, r->data_offset);
  ol__put64le (r->base + 40, size);
  return r;
}

OlShmServer *
ol__shm_server_new (GError **error)
{
  OlShmServer *s = g_new0 (OlShmServer, 1);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  gsize alen;

  g_atomic_ref_count_init (&s->ref);
  ol__mutex_init (&s->lock);
  s->threshold = ol__shm_threshold ();
  g_snprintf (s->address, sizeof s->address, "oneliner-shm-%d-%08x%08x", (int) getpid (),
              g_random_int (), g_random_int ());
  alen = strlen (s->address);
  /* Abstract: sun_path[0] is NUL, the name follows, nothing on disk. */
  memcpy (addr.sun_path + 1, s->address, alen);
  s->listen_fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s->listen_fd < 0
      || bind (s->listen_fd, (struct sockaddr *) &addr,
               (socklen_t) (offsetof (struct sockaddr_un, sun_path) + 1 + alen)) != 0
      || listen (s->listen_fd, 64) != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET,
                   "cannot listen on the shared-memory side channel: %s", g_strerror (errno));
      ol__shm_server_free (s);
      return NULL;
    }
  return s;
}

OlShmServer *
ol__shm_server_ref (OlShmServer *s)
{
  g_atomic_ref_count_inc (&s->ref);
  return s;
}

const char *
ol__shm_server_address (OlShmServer *s)
{
  return s->address;
}

gsize
ol__shm_server_threshold (OlShmServer *s)
{
  return s->threshold;
}

int
ol__shm_server_fd (OlShmServer *s)
{
  return s->listen_fd;
}

static void
s_leaser_drop (OlShmServer *s, guint i)
{
  munmap (s->leasers[i].table, OL_SHM_LEASE_SIZE);
  close (s->leasers[i].fd);
  s->leasers[i] = s->leasers[--s->n_leasers];
}

/* Whether the peer of a lease table is gone (its connection hung up): its
 * leases no longer count. Under lock. */
static gboolean
s_leaser_gone (const Leaser *l)
{
  struct pollfd pfd = { l->fd, POLLIN | POLLRDHUP, 0 };
  char byte;

  if (poll (&pfd, 1, 0) <= 0)
    return FALSE;
  if (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))
    return TRUE;
  /* A peer sends nothing: data is a peer to forget too. */
  return recv (l->fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK) >= 0;
}

/* Forgets the lease tables of peers that are gone. Under lock. */
static void
s_leasers_sweep (OlShmServer *s)
{
  for (guint i = 0; i < s->n_leasers;)
    if (s_leaser_gone (&s->leasers[i]))
      s_leaser_drop (s, i);
    else
      i++;
}

/* A lease table for a new peer: a sealed memory file mapped here; -1 when
 * there is no room (the peer then copies frames out). Under lock. */
static int
s_leaser_new (OlShmServer *s, int conn)
{
  int fd;
  guint8 *table;

  s_leasers_sweep (s);
  if (s->n_leasers == OL_SHM_MAX_LEASERS)
    return -1;
  fd = memfd_create ("oneliner-leases", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return -1;
  if (ftruncate (fd, OL_SHM_LEASE_SIZE) != 0
      || fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0
      || (table = mmap (NULL, OL_SHM_LEASE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0))
         == MAP_FAILED)
    {
      close (fd);
      return -1;
    }
  s->leasers[s->n_leasers++] = (Leaser) { conn, table };
  return fd;
}

/* Answers one accepted peer: the id and size of every ring, their
 * descriptors in the same order, and a lease table of its own. Peers of
 * another user get nothing. Returns whether the connection was kept (it
 * then belongs to the peer's lease table). */
static gboolean
s_answer (OlShmServer *s, int fd)
{
  struct ucred cred;
  socklen_t len = sizeof cred;
  guint8 answer[OL_SHM_ANSWER_MAX] = { 0 };
  int fds[OL_SHM_MAX_RINGS + 1];
  guint32 n = 0, n_fds;
  int table_fd;
  union {
    char buf[CMSG_SPACE (sizeof (int) * (OL_SHM_MAX_RINGS + 1))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { answer, 0 };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  struct cmsghdr *cm;
  gboolean sent;

  if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != geteuid ())
    {
      g_debug ("shared-memory side channel: refused a peer of another user");
      return FALSE;
    }
  memcpy (answer, ANSWER_MAGIC, 8);
  ol__mutex_lock (&s->lock);
  for (guint i = 0; i < OL_SHM_MAX_RINGS; i++)
    if (s->rings[i] != NULL)
      {
        ol__put64le (answer + OL_SHM_ANSWER_HEAD + 16 * n, s->rings[i]->id);
        ol__put64le (answer + OL_SHM_ANSWER_HEAD + 16 * n + 8, s->rings[i]->size);
        fds[n++] = s->rings[i]->fd;
      }
  table_fd = s_leaser_new (s, fd);
  ol__mutex_unlock (&s->lock);
  n_fds = n;
  if (table_fd >= 0)
    fds[n_fds++] = table_fd;
  ol__put32le (answer + 8, n);
  ol__put32le (answer + 12, table_fd >= 0 ? OL_SHM_ANSWER_LEASES : 0);
  iov.iov_len = OL_SHM_ANSWER_HEAD + 16 * n;
  if (n_fds > 0)
    {
      memset (&control, 0, sizeof control);
      mh.msg_control = control.buf;
      mh.msg_controllen = CMSG_SPACE (sizeof (int) * n_fds);
      cm = CMSG_FIRSTHDR (&mh);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN (sizeof (int) * n_fds);
      memcpy (CMSG_DATA (cm), fds, sizeof (int) * n_fds);
    }
  sent = sendmsg (fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0;
  if (!sent)
    g_debug ("shared-memory side channel: cannot answer: %s", g_strerror (errno));
  if (table_fd >= 0)
    {
      /* The server keeps its mapping; the peer has its descriptor. */
      close (table_fd);
      if (!sent)
        {
          ol__mutex_lock (&s->lock);
          for (guint i = 0; i < s->n_leasers; i++)
            if (s->leasers[i].fd == fd)
              {
                s->leasers[i].fd = -1;
                munmap (s->leasers[i].table, OL_SHM_LEASE_SIZE);
                s->leasers[i] = s->leasers[--s->n_leasers];
                break;
              }
          ol__mutex_unlock (&s->lock);
          return FALSE;
        }
      return TRUE;
    }
  return FALSE;
}

void
ol__shm_server_serve (OlShmServer *s)
{
  for (int n = 0; n < 64; n++)
    {
      int fd = accept4 (s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

      if (fd < 0)
        return;
      if (!s_answer (s, fd))
        close (fd);
    }
}

/* Whether anyone leases slot i of ring c; a lease of a peer that is gone
 * is forgotten with its table. Under lock. */
static gboolean
s_leased (OlShmServer *s, guint c, guint32 i)
{
  gsize at = (gsize) c * OL_SHM_MAX_SLOTS + i;

  if (__atomic_load_n (&s->own[at], __ATOMIC_SEQ_CST) != 0)
    return TRUE;
  for (guint k = 0; k < s->n_leasers;)
    {
      if (__atomic_load_n (&s->leasers[k].table[at], __ATOMIC_SEQ_CST) == 0)
        k++;
      else if (s_leaser_gone (&s->leasers[k]))
        s_leaser_drop (s, k);
      else
        return TRUE;
    }
  return FALSE;
}

/* The ring of size class c, made if need be; NULL if it cannot be. */
static Ring *
s_ring_get (OlShmServer *s, guint c)
{
  Ring *r = __atomic_load_n (&s->rings[c], __ATOMIC_ACQUIRE);
  GError *error = NULL;

  if (r != NULL)
    return r;
  ol__mutex_lock (&s->lock);
  if ((r = s->rings[c]) == NULL && !s->warned)
    {
      if ((r = s_ring_new (OL_SHM_MIN_SLOT_SIZE << c, &error)) != NULL)
        __atomic_store_n (&s->rings[c], r, __ATOMIC_RELEASE);
      else
        {
          /* Once per server: every frame that does not fit goes inline. */
          g_message ("%s; such frames go through the socket", error->message);
          s->warned = TRUE;
          g_error_free (error);
        }
    }
  ol__mutex_unlock (&s->lock);
  return r;
}

gboolean
ol__shm_server_reserve (OlShmServer *s, gsize size, OlShmSlot *slot)
{
  Ring *r;
  guint c = 0;

  if (size == 0 || size > OL_SHM_MAX_SLOT_SIZE)
    return FALSE;
  while ((OL_SHM_MIN_SLOT_SIZE << c) < size)
    c++;
  if ((r = s_ring_get (s, c)) == NULL)
    return FALSE;
  ol__mutex_lock (&s->lock);
  for (guint32 t = 0; t < r->slots; t++)
    {
      guint32 i = atomic_fetch_add (&r->next, 1) % r->slots;
      guint64 *gen_p = s_slot_generation (r->base, i);
      guint64 gen = __atomic_load_n (gen_p, __ATOMIC_ACQUIRE);

      /* Odd: another writer has it. The claim (odd) comes before the look
       * at the leases, as a reader's lease comes before its look at the
       * generation: one of the two sees the other. */
      if ((gen & 1) != 0
          || !__atomic_compare_exchange_n (gen_p, &gen, gen + 1, FALSE, __ATOMIC_SEQ_CST,
                                           __ATOMIC_RELAXED))
        continue;
      if (s_leased (s, c, i))
        {
          /* Nothing was written: the frame there is still whole. */
          __atomic_store_n (gen_p, gen, __ATOMIC_RELEASE);
          continue;
        }
      __atomic_store_n (&s->own[(gsize) c * OL_SHM_MAX_SLOTS + i], 1, __ATOMIC_RELAXED);
      ol__mutex_unlock (&s->lock);
      *slot = (OlShmSlot) { r->base + r->data_offset + (gsize) i * r->slot_size, size, c, i,
                            gen + 1 };
      return TRUE;
    }
  ol__mutex_unlock (&s->lock);
  return FALSE;
}

void
ol__shm_server_commit (OlShmServer *s, const OlShmSlot *slot)
{
  Ring *r = __atomic_load_n (&s->rings[slot->ring], __ATOMIC_ACQUIRE);
  guint64 *gen_p = s_slot_generation (r->base, slot->slot);

  __atomic_store_n (gen_p + 1, (guint64) slot->size, __ATOMIC_RELAXED);
  __atomic_store_n (gen_p, slot->generation + 1, __ATOMIC_RELEASE);
  atomic_fetch_add (&s->written, 1);
}

void
ol__shm_server_release (OlShmServer *s, guint ring, guint32 slot)
{
  __atomic_store_n (&s->own[(gsize) ring * OL_SHM_MAX_SLOTS + slot], 0, __ATOMIC_RELEASE);
}

gboolean
ol__shm_server_describe (OlShmServer *s, const void *data, gsize size, OlShmDesc *desc)
{
  const guint8 *p = data;

  for (guint c = 0; c < OL_SHM_MAX_RINGS; c++)
    {
      Ring *r = __atomic_load_n (&s->rings[c], __ATOMIC_ACQUIRE);
      const guint8 *first;
      guint64 off, gen;
      guint32 i;

      if (r == NULL)
        continue;
      first = r->base + r->data_offset;
      if (p < first || p >= first + (gsize) r->slots * r->slot_size)
        continue;
      off = (guint64) (p - first);
      i = (guint32) (off / r->slot_size);
      gen = __atomic_load_n (s_slot_generation (r->base, i), __ATOMIC_ACQUIRE);
      if (off % r->slot_size != 0 || size == 0 || size > r->slot_size || (gen & 1) != 0
          || gen == 0 || __atomic_load_n (&s->own[(gsize) c * OL_SHM_MAX_SLOTS + i],
                                          __ATOMIC_ACQUIRE) == 0)
        return FALSE;
      *desc = (OlShmDesc) { .slot = i, .ring = r->id, .generation = gen, .length = size };
      g_strlcpy (desc->address, s->address, sizeof desc->address);
      return TRUE;
    }
  return FALSE;
}

gboolean
ol__shm_server_write (OlShmServer *s, const void *data, gsize size, OlShmDesc *desc)
{
  OlShmSlot slot;
  Ring *r;

  if (!ol__shm_server_reserve (s, size, &slot))
    return FALSE;
  memcpy (slot.data, data, size);
  ol__shm_server_commit (s, &slot);
  r = __atomic_load_n (&s->rings[slot.ring], __ATOMIC_ACQUIRE);
  *desc = (OlShmDesc) { .slot = slot.slot, .ring = r->id, .generation = slot.generation + 1,
                        .length = size };
  g_strlcpy (desc->address, s->address, sizeof desc->address);
  ol__shm_server_release (s, slot.ring, slot.slot);
  return TRUE;
}

guint64
ol__shm_server_written (OlShmServer *s)
{
  return atomic_load (&s->written);
}

void
ol__shm_server_close (OlShmServer *s)
{
  ol__mutex_lock (&s->lock);
  if (s->listen_fd >= 0)
    close (s->listen_fd);
  s->listen_fd = -1;
  while (s->n_leasers > 0)
    s_leaser_drop (s, 0);
  ol__mutex_unlock (&s->lock);
}

void
ol__shm_server_free (OlShmServer *s)
{
  if (s == NULL || !g_atomic_ref_count_dec (&s->ref))
    return;
  ol__shm_server_close (s);
  for (guint i = 0; i < OL_SHM_MAX_RINGS; i++)
    s_ring_free (s->rings[i]);
  ol__mutex_clear (&s->lock);
  g_free (s);
}

/* ------------------------------------------------------------------------ */
/* The subscribing side */

/* The lease table the server gave this reader, and the connection that
 * keeps it valid: both live while a ring of the server is mapped here. */
typedef struct {
  gatomicrefcount ref;
  int sock;
  guint8 *table;             /* (owned) mapped read-write */
} LeaseTable;

typedef struct {
  gatomicrefcount ref;       /* the reader, and each lease */
  guint64 id;
  const guint8 *base;        /* (owned) mapped read-only */
  gsize size;
  guint32 slots;
  guint64 slot_size;
  guint64 data_offset;
  guint cls;                 /* the size class: slot_size is 64 KiB << cls */
  LeaseTable *leases;        /* (owned) (nullable) */
  atomic_uint held;          /* slots leased now */
} Mapping;

struct OlShmLease {
  Mapping *map;              /* (owned) */
  guint32 slot;
};

struct OlShmReader {
  char address[OL_SHM_ADDRESS_MAX + 1]; /* of the mapped rings */
  Mapping *maps[OL_SHM_MAX_RINGS];      /* (owned) */
  guint n_maps;
  Mapping *last;             /* (nullable) the one found last */
  LeaseTable *leases;        /* (owned) (nullable) the server's of address */
};

static void
s_lease_table_unref (LeaseTable *t)
{
  if (t == NULL || !g_atomic_ref_count_dec (&t->ref))
    return;
  munmap (t->table, OL_SHM_LEASE_SIZE);
  /* The server forgets the table when the connection closes. */
  close (t->sock);
  g_free (t);
}

static void
s_mapping_unref (Mapping *m)
{
  if (m == NULL || !g_atomic_ref_count_dec (&m->ref))
    return;
  munmap ((void *) m->base, m->size);
  s_lease_table_unref (m->leases);
  g_free (m);
}

OlShmReader *
ol__shm_reader_new (void)
{
  return g_new0 (OlShmReader, 1);
}

void
ol__shm_reader_reset (OlShmReader *r)
{
  for (guint i = 0; i < r->n_maps; i++)
    s_mapping_unref (r->maps[i]);
  r->n_maps = 0;
  r->last = NULL;
  r->address[0] = '\0';
  g_clear_pointer (&r->leases, s_lease_table_unref);
}

void
ol__shm_reader_free (OlShmReader *r)
{
  if (r == NULL)
    return;
  ol__shm_reader_reset (r);
  g_free (r);
}

/* Checks that fd is a memory file sealed against shrinking and growing, of
 * at least min_size bytes; its size in *size. */
static gboolean
s_check_sealed (int fd, guint64 min_size, gsize *size, GError **error)
{
  struct stat st;
  int seals = fcntl (fd, F_GET_SEALS);

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || seals < 0
      || (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "the shared-memory side channel sent a file that is not a sealed memory file");
      return FALSE;
    }
  if ((guint64) st.st_size < min_size || (guint64) st.st_size > G_MAXSIZE)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "a shared-memory %s of %" G_GINT64_FORMAT " bytes, smaller than %s",
                   min_size == OL_SHM_LEASE_SIZE ? "lease table" : "ring",
                   (gint64) st.st_size,
                   min_size == OL_SHM_LEASE_SIZE ? "16384" : "its header");
      return FALSE;
    }
  *size = (gsize) st.st_size;
  return TRUE;
}

/* Asks the side channel at address for its rings and returns the
 * descriptor of ring id (-1: the server has no such ring). With table not
 * NULL, the lease table that came with the answer, if any (NULL if none),
 * keeping the connection open. */
static gboolean
s_fetch (const char *address, guint64 id, int *fd, LeaseTable **table, GError **error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  gsize alen = strlen (address);
  int sock = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  guint8 answer[OL_SHM_ANSWER_MAX + 8];
  int fds[OL_SHM_MAX_RINGS + 1];
  gsize n_fds = 0;
  union {
    char buf[CMSG_SPACE (sizeof (int) * (OL_SHM_MAX_RINGS + 4))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { answer, sizeof answer };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = control.buf, .msg_controllen = sizeof control.buf };
  struct pollfd pfd;
  struct ucred cred;
  socklen_t clen = sizeof cred;
  ssize_t got;
  guint32 count, flags;
  gboolean ok = FALSE;

  *fd = -1;
  memcpy (addr.sun_path + 1, address, alen);
  if (sock < 0
      || connect (sock, (struct sockaddr *) &addr,
                  (socklen_t) (offsetof (struct sockaddr_un, sun_path) + 1 + alen)) != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET,
                   "cannot reach the shared-memory side channel: %s", g_strerror (errno));
      goto out;
    }
  if (getsockopt (sock, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 || cred.uid != geteuid ())
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET,
                   "the shared-memory side channel belongs to another user");
      goto out;
    }
  pfd = (struct pollfd) { sock, POLLIN, 0 };
  if (poll (&pfd, 1, FETCH_TIMEOUT_MS) <= 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_TIMEOUT,
                   "the shared-memory side channel did not answer within %d ms",
                   FETCH_TIMEOUT_MS);
      goto out;
    }
  memset (&control, 0, sizeof control);
  got = recvmsg (sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  /* Every descriptor received is kept in fds (closed below) or closed now. */
  for (struct cmsghdr *cm = got >= 0 ? CMSG_FIRSTHDR (&mh) : NULL; cm != NULL;
       cm = CMSG_NXTHDR (&mh, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      {
        gsize n = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int);

        for (gsize i = 0; i < n; i++)
          {
            int one;

            memcpy (&one, CMSG_DATA (cm) + i * sizeof (int), sizeof one);
            if (n_fds < G_N_ELEMENTS (fds))
              fds[n_fds++] = one;
            else
              close (one);
          }
      }
  count = got >= OL_SHM_ANSWER_HEAD ? ol__get32le (answer + 8) : 0;
  flags = got >= OL_SHM_ANSWER_HEAD ? ol__get32le (answer + 12) : 0;
  if (got < OL_SHM_ANSWER_HEAD || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
      || memcmp (answer, ANSWER_MAGIC, 8) != 0 || count > OL_SHM_MAX_RINGS
      || (flags & ~OL_SHM_ANSWER_LEASES) != 0
      || (gsize) got != OL_SHM_ANSWER_HEAD + 16 * (gsize) count
      || n_fds != count + ((flags & OL_SHM_ANSWER_LEASES) ? 1 : 0))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "the shared-memory side channel's answer is malformed");
      goto out;
    }
  for (guint32 i = 0; i < count; i++)
    if (ol__get64le (answer + OL_SHM_ANSWER_HEAD + 16 * i) == id && *fd < 0)
      {
        *fd = fds[i];
        fds[i] = -1;
      }
  if (table != NULL && (flags & OL_SHM_ANSWER_LEASES))
    {
      gsize size;
      guint8 *mem;

      if (!s_check_sealed (fds[count], OL_SHM_LEASE_SIZE, &size, error))
        goto out;
      mem = mmap (NULL, OL_SHM_LEASE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[count], 0);
      if (mem == MAP_FAILED)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "cannot map a lease table: %s",
                       g_strerror (errno));
          goto out;
        }
      *table = g_new0 (LeaseTable, 1);
      g_atomic_ref_count_init (&(*table)->ref);
      (*table)->table = mem;
      (*table)->sock = sock;
      sock = -1;
    }
  ok = TRUE;
out:
  if (!ok && *fd >= 0)
    {
      close (*fd);
      *fd = -1;
    }
  for (gsize i = 0; i < n_fds; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  if (sock >= 0)
    close (sock);
  return ok;
}

/* Checks the memory file fd and maps it read-only as ring id. */
static gboolean
s_map (OlShmReader *r, int fd, guint64 id, GError **error)
{
  gsize size;
  guint64 slots, slot_size, offset, total;
  const guint8 *base;
  Mapping *m;
  guint cls = 0;

  if (!s_check_sealed (fd, OL_SHM_RING_HEADER, &size, error))
    return FALSE;
  base = mmap (NULL, size, PROT_READ, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "cannot map a shared-memory ring: %s",
                   g_strerror (errno));
      return FALSE;
    }
  slots = ol__get32le (base + 12);
  slot_size = ol__get64le (base + 16);
  offset = ol__get64le (base + 32);
  total = ol__get64le (base + 40);
  while (cls + 1 < OL_SHM_MAX_RINGS && (OL_SHM_MIN_SLOT_SIZE << cls) < slot_size)
    cls++;
  if (memcmp (base, RING_MAGIC, 8) != 0 || ol__get32le (base + 8) != RING_VERSION
      || ol__get64le (base + 24) != id || slots < 1 || slots > OL_SHM_MAX_SLOTS
      || slot_size != (OL_SHM_MIN_SLOT_SIZE << cls)
      || offset != s_data_offset ((guint32) slots) || total != (guint64) size
      || offset + slots * slot_size != total)
    {
      munmap ((void *) base, size);
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "a shared-memory ring whose header does not match its file");
      return FALSE;
    }
  if (r->n_maps == OL_SHM_MAX_RINGS)
    {
      /* More rings than a server makes: start over. */
      char address[OL_SHM_ADDRESS_MAX + 1];
      LeaseTable *leases = g_steal_pointer (&r->leases);

      g_strlcpy (address, r->address, sizeof address);
      ol__shm_reader_reset (r);
      g_strlcpy (r->address, address, sizeof r->address);
      r->leases = leases;
    }
  m = g_new0 (Mapping, 1);
  g_atomic_ref_count_init (&m->ref);
  m->id = id;
  m->base = base;
  m->size = size;
  m->slots = (guint32) slots;
  m->slot_size = slot_size;
  m->data_offset = offset;
  m->cls = cls;
  if (r->leases != NULL)
    {
      g_atomic_ref_count_inc (&r->leases->ref);
      m->leases = r->leases;
    }
  r->maps[r->n_maps++] = m;
  r->last = m;
  return TRUE;
}

static Mapping *
s_find (OlShmReader *r, guint64 id)
{
  if (r->last != NULL && r->last->id == id)
    return r->last;
  for (guint i = 0; i < r->n_maps; i++)
    if (r->maps[i]->id == id)
      return r->last = r->maps[i];
  return NULL;
}

OlShmRead
ol__shm_reader_prepare (OlShmReader *r, const OlShmDesc *d, GError **error)
{
  Mapping *m;

  /* Another server (a restart): its rings replace those of the old one. */
  if (strcmp (r->address, d->address) != 0)
    {
      ol__shm_reader_reset (r);
      g_strlcpy (r->address, d->address, sizeof r->address);
    }
  if ((m = s_find (r, d->ring)) == NULL)
    {
      int fd;
      gboolean mapped;
      LeaseTable *table = NULL;

      /* The first answer of a server brings this reader's lease table. */
      if (!s_fetch (d->address, d->ring, &fd, r->leases == NULL && r->n_maps == 0 ? &table : NULL,
                    error))
        return OL_SHM_READ_FAILED;
      if (table != NULL)
        r->leases = table;
      if (fd < 0)
        return OL_SHM_READ_TORN; /* no such ring (any more): this frame is lost */
      mapped = s_map (r, fd, d->ring, error);
      close (fd);
      if (!mapped)
        return OL_SHM_READ_FAILED;
      m = r->last;
    }
  if (d->slot >= m->slots || d->length > m->slot_size || d->length == 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "a shared-memory descriptor of slot %" G_GUINT32_FORMAT " and %"
                   G_GUINT64_FORMAT " bytes, beyond its ring (%" G_GUINT32_FORMAT
                   " slots of %" G_GUINT64_FORMAT " bytes)",
                   d->slot, d->length, m->slots, m->slot_size);
      return OL_SHM_READ_FAILED;
    }
  return OL_SHM_READ_OK;
}

static const guint64 *
s_reader_generation (const Mapping *m, guint32 slot)
{
  return (const guint64 *) (m->base + OL_SHM_RING_HEADER + (gsize) slot * OL_SHM_SLOT_HEADER);
}

OlShmRead
ol__shm_reader_lease (OlShmReader *r, const OlShmDesc *d, OlShmLease **lease,
                      const guint8 **data)
{
  Mapping *m = s_find (r, d->ring);
  guint8 *byte;
  OlShmLease *l;

  g_return_val_if_fail (m != NULL, OL_SHM_READ_TORN);
  /* Half the ring at most: the server always has free slots for others. */
  if (m->leases == NULL || atomic_load (&m->held) >= MAX (1u, m->slots / 2))
    return OL_SHM_READ_COPY;
  byte = &m->leases->table[(gsize) m->cls * OL_SHM_MAX_SLOTS + d->slot];
  /* The lease before the look at the generation, as the server's claim
   * (odd generation) comes before its look at the leases. */
  __atomic_store_n (byte, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n (s_reader_generation (m, d->slot), __ATOMIC_SEQ_CST) != d->generation)
    {
      __atomic_store_n (byte, 0, __ATOMIC_RELEASE);
      return OL_SHM_READ_TORN;
    }
  atomic_fetch_add (&m->held, 1);
  g_atomic_ref_count_inc (&m->ref);
  l = g_new (OlShmLease, 1);
  l->map = m;
  l->slot = d->slot;
  *lease = l;
  *data = m->base + m->data_offset + (gsize) d->slot * m->slot_size;
  return OL_SHM_READ_OK;
}

void
ol__shm_lease_release (OlShmLease *l)
{
  Mapping *m = l->map;

  __atomic_store_n (&m->leases->table[(gsize) m->cls * OL_SHM_MAX_SLOTS + l->slot], 0,
                    __ATOMIC_RELEASE);
  atomic_fetch_sub (&m->held, 1);
  s_mapping_unref (m);
  g_free (l);
}

OlShmRead
ol__shm_reader_copy (OlShmReader *r, const OlShmDesc *d, void *out)
{
  const Mapping *m = s_find (r, d->ring);
  const guint64 *gen_p;

  g_return_val_if_fail (m != NULL, OL_SHM_READ_TORN);
  gen_p = s_reader_generation (m, d->slot);
  if (__atomic_load_n (gen_p, __ATOMIC_ACQUIRE) != d->generation)
    return OL_SHM_READ_TORN;
  memcpy (out, m->base + m->data_offset + (gsize) d->slot * m->slot_size, d->length);
  /* Seqlock: the copy is good only if the slot was not written meanwhile.
   * ThreadSanitizer knows no fences (and the writer is another process to
   * it): there the second load is sequentially consistent instead. */
#ifdef OL__TSAN
  if (__atomic_load_n (gen_p, __ATOMIC_SEQ_CST) != d->generation)
    return OL_SHM_READ_TORN;
#else
  __atomic_thread_fence (__ATOMIC_ACQUIRE);
  if (__atomic_load_n (gen_p, __ATOMIC_RELAXED) != d->generation)
    return OL_SHM_READ_TORN;
#endif
  return OL_SHM_READ_OK;
}
