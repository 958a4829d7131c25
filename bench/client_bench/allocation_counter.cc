#include "bench/client_bench/allocation_counter.h"

#include <cstdlib>
#include <new>

namespace corsd::bench {
namespace {
// Not atomic: only the owning thread touches it.
thread_local uint64_t allocations = 0;
}  // namespace

uint64_t ThreadAllocations() { return allocations; }

}  // namespace corsd::bench

// Every form of operator new funnels into these two; the matching deletes
// stay the standard ones (they call free, which matches malloc).
void* operator new(size_t size) {
  ++corsd::bench::allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void* operator new(size_t size, std::align_val_t alignment) {
  ++corsd::bench::allocations;
  const size_t align = static_cast<size_t>(alignment);
  if (void* p = std::aligned_alloc(align, (size + align - 1) / align * align)) return p;
  throw std::bad_alloc();
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
