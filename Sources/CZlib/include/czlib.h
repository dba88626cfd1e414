#ifndef CZLIB_H
#define CZLIB_H
#include <zlib.h>

/// inflateInit2 is a macro in zlib.h; Swift cannot call macros, so wrap it once here.
/// windowBits 15 + 16: gzip only, verify the gzip CRC32 and ISIZE trailer.
static inline int czlib_inflate_init_gzip(z_stream *stream) {
  return inflateInit2(stream, 15 + 16);
}
/// windowBits -15: raw DEFLATE (zip entries), no header or trailer; the caller checks the CRC.
static inline int czlib_inflate_init_raw(z_stream *stream) {
  return inflateInit2(stream, -15);
}
#endif
