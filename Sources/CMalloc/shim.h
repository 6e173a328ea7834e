// glibc's malloc tuning and statistics (malloc.h), which Swift's Glibc module does not export.
#pragma once
#include <malloc.h>
#include <stddef.h>

// Returns free heap pages of every arena to the kernel.
static inline int sy_malloc_trim(void) { return malloc_trim(0); }

// Caps the number of malloc arenas (M_ARENA_MAX); 1 on success.
static inline int sy_malloc_limit_arenas(int count) { return mallopt(M_ARENA_MAX, count); }

// Bytes in live allocations (heap and mmapped chunks) and free bytes held inside the heap.
static inline void sy_malloc_heap(size_t *in_use, size_t *free_bytes) {
    struct mallinfo2 m = mallinfo2();
    *in_use = m.uordblks + m.hblkhd;
    *free_bytes = m.fordblks;
}
