#include "bench/allocation_counter.h"

#include <cstdlib>
#include <new>

namespace corsd::bench {
namespace {
// Not atomic: only the owning thread touches it.
thread_local uint64_t allocations = 0;

void* Allocate(size_t size) {
  ++allocations;
  return std::malloc(size == 0 ? 1 : size);
}

void* AllocateAligned(size_t size, std::align_val_t alignment) {
  ++allocations;
  const size_t align = static_cast<size_t>(alignment);
  return std::aligned_alloc(align, (size + align - 1) / align * align);
}

}  // namespace

uint64_t ThreadAllocations() { return allocations; }

}  // namespace corsd::bench

// Every form of operator new and delete is replaced, so that each allocation
// is counted and every pair matches (malloc/free): replacing only some forms
// would let a library allocate with one implementation and free with another,
// which AddressSanitizer reports (and rightly).
void* operator new(size_t size) {
  if (void* p = corsd::bench::Allocate(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) {
  if (void* p = corsd::bench::Allocate(size)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return corsd::bench::Allocate(size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return corsd::bench::Allocate(size);
}
void* operator new(size_t size, std::align_val_t alignment) {
  if (void* p = corsd::bench::AllocateAligned(size, alignment)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size, std::align_val_t alignment) {
  if (void* p = corsd::bench::AllocateAligned(size, alignment)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return corsd::bench::AllocateAligned(size, alignment);
}
void* operator new[](size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return corsd::bench::AllocateAligned(size, alignment);
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
