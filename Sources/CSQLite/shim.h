// SQLite 3, the embedded database that holds tuning studies (Debian's libsqlite3-dev).
#include <sqlite3.h>
