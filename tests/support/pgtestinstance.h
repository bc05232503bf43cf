#pragma once

#include <QString>

namespace hubsync::test {

// A PostgreSQL server for tests. When HUBSYNC_TEST_PG_DSN is set (libpq conninfo or URI of a role that
// may CREATE DATABASE), that server is used; otherwise a throwaway cluster is created with initdb in a
// private temp dir (as root through `runuser -u postgres`) the first time a test asks, and removed when
// the test process exits. Each test case gets a fresh database of its own.
class PgTestInstance final {
public:
    // The shared instance for this test process; starts the cluster on first use (QFAIL-friendly:
    // check error() after calling).
    static PgTestInstance &shared();

    [[nodiscard]] QString error() const { return m_error; }

    // Creates a new empty database named after the prefix plus a unique suffix; returns its conninfo,
    // or an empty string (and sets error()) on failure.
    QString createDatabase(const QString &prefix);
    // Drops a database created by createDatabase (terminating its sessions first).
    void dropDatabase(const QString &conninfo);

    [[nodiscard]] QString adminConninfo() const { return m_admin; }

private:
    PgTestInstance();
    ~PgTestInstance();

    QString m_admin;
    QString m_error;
    struct Cluster;
    Cluster *m_cluster = nullptr;
};

// libpq conninfo/URI with the dbname replaced (other keys kept).
QString withDatabase(const QString &conninfo, const QString &database);

} // namespace hubsync::test
