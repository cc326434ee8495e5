// zlib's gzip file API (gzopen/gzread), which reads gzip-compressed and plain files alike.
#include <zlib.h>
