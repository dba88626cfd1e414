#ifndef CDNNL_H
#define CDNNL_H
#include <oneapi/dnnl/dnnl.h>

/// DNNL_MEMORY_ALLOCATE is a cast macro Swift cannot import.
static inline void *cdnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
#endif
