#include "catalog/schema.h"

#include "catalog/catalog.h"

namespace hubsync::catalog {

QList<Migration> allMigrations()
{
    QList<Migration> list = builtinMigrations();
    list << Migration{100, QStringLiteral("synced GitHub tables"), schemaStatements()};
    return list;
}

} // namespace hubsync::catalog
