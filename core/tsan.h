/* Happens-before edges that ThreadSanitizer cannot see by itself.
 *
 * libzmq hands a zero-copy message from one thread to another through
 * lock-free pipes whose atomics the sanitizer does not see (tests/tsan.supp
 * silences what happens inside libzmq). Code of ours that reads such a
 * payload on the receiving side (the stream proxy copying it into a
 * same-host ring) marks the hand-off: OL_TSAN_RELEASE (data) before the
 * send, OL_TSAN_ACQUIRE (data) after the receive. Without the sanitizer
 * both are nothing.
 */
#pragma once

#if defined(__SANITIZE_THREAD__)
#define OL__TSAN 1
#elif defined(__has_feature)
#if __has_feature (thread_sanitizer)
#define OL__TSAN 1
#endif
#endif

#ifdef OL__TSAN
void __tsan_acquire (void *addr);
void __tsan_release (void *addr);
#define OL_TSAN_RELEASE(p) __tsan_release ((void *) (p))
#define OL_TSAN_ACQUIRE(p) __tsan_acquire ((void *) (p))
#else
#define OL_TSAN_RELEASE(p) ((void) 0)
#define OL_TSAN_ACQUIRE(p) ((void) 0)
#endif
