// ThreadSanitizer builds only: makes absl::Mutex visible to TSan.
//
// Debian's Abseil is not built with TSan, so its Mutex synchronizes with
// atomics and futexes TSan never sees, and every access guarded by one would
// be reported as a race. This file, linked into each TSan test binary,
// interposes the Mutex entry points (the executable's definitions win over
// the shared library's, for our calls and for gRPC's): each forwards to the
// real one and tells TSan about the happens-before edge (release before an
// unlock, acquire after a lock). Await and the LockWhen family wait by
// polling the condition under the lock instead of using Abseil's waiter
// queue, because Abseil evaluates waiters' conditions inside another
// thread's Unlock, where TSan could not see them as guarded.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace {

template <typename Fn>
Fn Real(const char* mangled) {
  void* symbol = dlsym(RTLD_NEXT, mangled);
  if (symbol == nullptr) {
    fprintf(stderr, "absl_mutex_for_tsan: %s not found: %s\n", mangled, dlerror());
    abort();
  }
  return reinterpret_cast<Fn>(symbol);
}

using MutexFn = void (*)(absl::Mutex*);
using TryFn = bool (*)(absl::Mutex*);

void RealLock(absl::Mutex* mu) {
  static const MutexFn fn = Real<MutexFn>("_ZN4absl7debian35Mutex4LockEv");
  fn(mu);
}
void RealUnlock(absl::Mutex* mu) {
  static const MutexFn fn = Real<MutexFn>("_ZN4absl7debian35Mutex6UnlockEv");
  fn(mu);
}
void RealReaderLock(absl::Mutex* mu) {
  static const MutexFn fn = Real<MutexFn>("_ZN4absl7debian35Mutex10ReaderLockEv");
  fn(mu);
}
void RealReaderUnlock(absl::Mutex* mu) {
  static const MutexFn fn = Real<MutexFn>("_ZN4absl7debian35Mutex12ReaderUnlockEv");
  fn(mu);
}

// Waits, holding `mu` (exclusively or shared) on entry and on return, until
// `cond` holds or `deadline` passes; returns the condition's last value.
bool PollUntil(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline, bool shared) {
  absl::Duration pause = absl::Microseconds(20);
  while (!cond.Eval()) {
    if (absl::Now() >= deadline) return false;
    __tsan_release(mu);
    shared ? RealReaderUnlock(mu) : RealUnlock(mu);
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(2));
    shared ? RealReaderLock(mu) : RealLock(mu);
    __tsan_acquire(mu);
  }
  return true;
}

// Abseil's deadlock detection keeps a global graph behind a spinlock TSan
// cannot see; TSan finds lock-order inversions itself.
const bool deadlock_detection_off = [] {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return true;
}();

}  // namespace

namespace absl {
inline namespace debian3 {

void Mutex::Lock() {
  RealLock(this);
  __tsan_acquire(this);
}
void Mutex::Unlock() {
  __tsan_release(this);
  RealUnlock(this);
}
bool Mutex::TryLock() {
  static const TryFn fn = Real<TryFn>("_ZN4absl7debian35Mutex7TryLockEv");
  const bool locked = fn(this);
  if (locked) __tsan_acquire(this);
  return locked;
}
void Mutex::ReaderLock() {
  RealReaderLock(this);
  __tsan_acquire(this);
}
void Mutex::ReaderUnlock() {
  __tsan_release(this);
  RealReaderUnlock(this);
}
bool Mutex::ReaderTryLock() {
  static const TryFn fn = Real<TryFn>("_ZN4absl7debian35Mutex13ReaderTryLockEv");
  const bool locked = fn(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

void Mutex::Await(const Condition& cond) { PollUntil(this, cond, InfiniteFuture(), false); }
bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  return PollUntil(this, cond, Now() + timeout, false);
}
bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  return PollUntil(this, cond, deadline, false);
}
void Mutex::LockWhen(const Condition& cond) {
  Lock();
  PollUntil(this, cond, InfiniteFuture(), false);
}
bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  Lock();
  return PollUntil(this, cond, Now() + timeout, false);
}
bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  Lock();
  return PollUntil(this, cond, deadline, false);
}
void Mutex::ReaderLockWhen(const Condition& cond) {
  ReaderLock();
  PollUntil(this, cond, InfiniteFuture(), true);
}
bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  ReaderLock();
  return PollUntil(this, cond, Now() + timeout, true);
}
bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  ReaderLock();
  return PollUntil(this, cond, deadline, true);
}

}  // namespace debian3
}  // namespace absl
