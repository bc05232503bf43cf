#include "github/pgetagstore.h"

#include "core/log.h"
#include "store/pg.h"

namespace hubsync::github {

PgEtagStore::PgEtagStore(pg::Connection &connection)
    : m_connection(connection) {}

void PgEtagStore::record(const Error &error) {
    if (error && (!m_lastError || m_lastError.message != error.message))
        logWarning(QStringLiteral("github"), QStringLiteral("ETag cache unavailable: %1").arg(error.message));
    m_lastError = error;
}

std::optional<EtagEntry> PgEtagStore::lookup(const QString &url) {
    if (url.isEmpty() || !m_connection.isOpen())
        return std::nullopt;
    const pg::Result r = m_connection.execParams(
        QStringLiteral("SELECT etag, last_modified FROM hubsync.etag_cache WHERE url = $1"), {pg::param(url)});
    if (!r.ok()) {
        record(pg::databaseError(QStringLiteral("reading the ETag cache"), r.errorMessage()));
        return std::nullopt;
    }
    record(Error::none());
    if (r.rows() == 0)
        return std::nullopt;
    return EtagEntry{r.bytes(0, 0), r.bytes(0, 1)};
}

void PgEtagStore::store(const QString &url, const EtagEntry &entry) {
    if (!isStorable(url, entry) || !m_connection.isOpen())
        return;
    // The WHERE clause skips rewriting an unchanged row (no dead tuple per polled page).
    record(m_connection.run(
        QStringLiteral(
            "INSERT INTO hubsync.etag_cache (url, etag, last_modified, updated_at) VALUES ($1, $2, $3, now())"
            " ON CONFLICT (url) DO UPDATE SET etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified,"
            " updated_at = now() WHERE hubsync.etag_cache.etag IS DISTINCT FROM EXCLUDED.etag"
            " OR hubsync.etag_cache.last_modified IS DISTINCT FROM EXCLUDED.last_modified"),
        {pg::param(url), pg::Param(entry.etag),
         entry.lastModified.isEmpty() ? pg::nullParam() : pg::Param(entry.lastModified)},
        QStringLiteral("storing an ETag")));
}

void PgEtagStore::remove(const QString &url) {
    if (url.isEmpty() || !m_connection.isOpen())
        return;
    record(m_connection.run(QStringLiteral("DELETE FROM hubsync.etag_cache WHERE url = $1"), {pg::param(url)},
                            QStringLiteral("removing an ETag")));
}

} // namespace hubsync::github
