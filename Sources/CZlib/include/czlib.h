#ifndef CZLIB_H
#define CZLIB_H
#include <zlib.h>

/// inflateInit2 is a macro in zlib.h; Swift cannot call macros, so wrap it once here.
/// windowBits 15 + 32: accept a gzip (or zlib) header, verify the gzip CRC32 and ISIZE trailer.
static inline int czlib_inflate_init_gzip(z_stream *stream) {
  return inflateInit2(stream, 15 + 32);
}
#endif
