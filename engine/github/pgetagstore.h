#pragma once

#include "core/errors.h"
#include "github/etagstore.h"

namespace hubsync::pg {
class Connection;
}

namespace hubsync::github {

// ETags in hubsync.etag_cache (migration 2), so they survive restarts and are shared by the GUI and the
// service on one database. One indexed SELECT per conditional request and one upsert per changed
// page: cheap next to the HTTP round trip. The connection is not owned and must be used only from the
// thread that owns it. Database failures are logged and degrade to unconditional requests.
class PgEtagStore final : public EtagStore {
public:
    explicit PgEtagStore(pg::Connection &connection);
    Q_DISABLE_COPY_MOVE(PgEtagStore)
    ~PgEtagStore() override = default;

    [[nodiscard]] std::optional<EtagEntry> lookup(const QString &url) override;
    void store(const QString &url, const EtagEntry &entry) override;
    void remove(const QString &url) override;

    // The last database failure (none after a success), for callers that want to surface it.
    [[nodiscard]] Error lastError() const { return m_lastError; }

private:
    void record(const Error &error);

    pg::Connection &m_connection;
    Error m_lastError;
};

} // namespace hubsync::github
