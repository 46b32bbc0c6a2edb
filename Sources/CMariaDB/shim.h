// Debian's libmariadb-dev (MariaDB Connector/C) installs its headers under /usr/include/mariadb
// (pkg-config libmariadb). Used by the `skyhost.mysql` driver (Sources/SkyhostMySQL).
#include <mysql.h>
#include <errmsg.h>
