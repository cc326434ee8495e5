// libpq, PostgreSQL's client library, for studies shared by many machines (Debian's libpq-dev).
#include <libpq-fe.h>
