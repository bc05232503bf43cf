#include "pgtestinstance.h"

#include "localpg/localcluster.h"
#include "store/pg.h"

#include <QAtomicInt>
#include <QCoreApplication>
#include <QDir>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <libpq-fe.h>

#include <memory>

namespace hubsync::test {

struct PgTestInstance::Cluster {
    QTemporaryDir directory{QStringLiteral("/tmp/hs-pg-XXXXXX")};
    std::unique_ptr<LocalCluster> cluster;
};

PgTestInstance &PgTestInstance::shared() {
    static PgTestInstance instance;
    return instance;
}

PgTestInstance::PgTestInstance() {
    const QString dsn = qEnvironmentVariable("HUBSYNC_TEST_PG_DSN");
    if (!dsn.isEmpty()) {
        m_admin = dsn;
        return;
    }
    m_cluster = new Cluster;
    if (!m_cluster->directory.isValid()) {
        m_error = QStringLiteral("cannot create a temp dir for the test cluster");
        return;
    }
    // The postgres account (used when we are root) must be able to enter the directory.
    QFile::setPermissions(m_cluster->directory.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                           QFileDevice::ExeOwner | QFileDevice::ExeOther);
    LocalCluster::Options options;
    options.directory = m_cluster->directory.path();
    options.serverSettings = {QStringLiteral("fsync=off"), QStringLiteral("synchronous_commit=off"),
                              QStringLiteral("full_page_writes=off"), QStringLiteral("max_connections=200")};
    m_cluster->cluster = std::make_unique<LocalCluster>(options);
    if (Error e = m_cluster->cluster->start()) {
        m_error = e.message;
        return;
    }
    m_admin = m_cluster->cluster->conninfo();
}

PgTestInstance::~PgTestInstance() {
    if (m_cluster) {
        if (m_cluster->cluster)
            m_cluster->cluster->stop();
        delete m_cluster;
    }
}

QString withDatabase(const QString &conninfo, const QString &database) {
    char *error = nullptr;
    PQconninfoOption *options = PQconninfoParse(conninfo.toUtf8().constData(), &error);
    if (!options) {
        PQfreemem(error);
        return {};
    }
    const auto quote = [](QString v) -> QString {
        v.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
        v.replace(QLatin1Char('\''), QStringLiteral("\\'"));
        return QLatin1Char('\'') + v + QLatin1Char('\'');
    };
    QStringList parts;
    for (PQconninfoOption *o = options; o->keyword; ++o) {
        if (qstrcmp(o->keyword, "dbname") == 0 || !o->val)
            continue;
        parts << QString::fromUtf8(o->keyword) + QLatin1Char('=') + quote(QString::fromUtf8(o->val));
    }
    PQconninfoFree(options);
    parts << QStringLiteral("dbname=") + quote(database);
    return parts.join(QLatin1Char(' '));
}

QString PgTestInstance::createDatabase(const QString &prefix) {
    if (!m_error.isEmpty())
        return {};
    static QAtomicInt counter;
    QString name = prefix.toLower();
    name.replace(QRegularExpression(QStringLiteral("[^a-z0-9_]")), QStringLiteral("_"));
    name = QStringLiteral("t_%1_%2_%3")
               .arg(name.left(30))
               .arg(QCoreApplication::applicationPid())
               .arg(counter.fetchAndAddRelaxed(1));
    pg::Connection admin;
    if (Error e = admin.open(m_admin)) {
        m_error = e.message;
        return {};
    }
    if (Error e = admin.run(QStringLiteral("CREATE DATABASE ") + admin.quoteIdentifier(name))) {
        m_error = e.message;
        return {};
    }
    return withDatabase(m_admin, name);
}

void PgTestInstance::dropDatabase(const QString &conninfo) {
    char *error = nullptr;
    PQconninfoOption *options = PQconninfoParse(conninfo.toUtf8().constData(), &error);
    if (!options) {
        PQfreemem(error);
        return;
    }
    QString name;
    for (PQconninfoOption *o = options; o->keyword; ++o) {
        if (qstrcmp(o->keyword, "dbname") == 0 && o->val)
            name = QString::fromUtf8(o->val);
    }
    PQconninfoFree(options);
    if (name.isEmpty())
        return;
    pg::Connection admin;
    if (admin.open(m_admin))
        return;
    admin.run(QStringLiteral("DROP DATABASE IF EXISTS ") + admin.quoteIdentifier(name) +
              QStringLiteral(" WITH (FORCE)"));
}

} // namespace hubsync::test
