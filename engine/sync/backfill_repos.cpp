// Backfill, part 1: which repositories to sync.

#include "catalog/catalog.h"
#include "core/log.h"
#include "store/pg.h"
#include "sync/backfill_p.h"

namespace hubsync::sync {

QString repositoryListPath(bool installation, int perPage) {
    return installation ? QStringLiteral("/installation/repositories?per_page=%1").arg(perPage)
                        : QStringLiteral("/user/repos?per_page=%1&affiliation=owner,collaborator,organization_member"
                                         "&sort=full_name")
                              .arg(perPage);
}

bool parseRepositoryPage(const QByteArray &body, bool installation, QList<QJsonObject> &items) {
    if (!installation)
        return parseArray(body, items);
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (!doc.isObject())
        return false;
    for (const QJsonValue &v : doc.object().value(QStringLiteral("repositories")).toArray())
        items << v.toObject();
    return true;
}

void Backfill::listRepositories() {
    m_listedRepos.clear();
    m_repositories.clear();
    if (!m_options.repos.isEmpty()) {
        fetchNamedRepository(0);
        return;
    }
    const bool installation = m_api.isInstallation();
    m_api.get(repositoryListPath(installation, m_options.perPage),
              whileAlive(this, [installation](Backfill &self, const Page &page) {
                  self.onRepositoryPage(page, installation);
              }));
}

void Backfill::onRepositoryPage(const Page &page, bool wrapped) {
    if (page.error) {
        fail(Error::make(page.error.kind, QStringLiteral("listing repositories: ") + page.error.message,
                         page.error.httpStatus, page.error.detail));
        return;
    }
    QList<QJsonObject> items;
    if (!parseRepositoryPage(page.body, wrapped, items)) {
        fail(Error::make(Error::Kind::GitHubUnavailable,
                         QStringLiteral("listing repositories: GitHub sent a malformed body")));
        return;
    }
    m_listedRepos << items;
    if (!page.nextUrl.isEmpty()) {
        m_api.get(page.nextUrl, whileAlive(this, [wrapped](Backfill &self, const Page &next) {
                      self.onRepositoryPage(next, wrapped);
                  }));
        return;
    }
    if (Error e = storeRepositories(m_listedRepos)) {
        fail(e);
        return;
    }
    repositoriesListed();
}

void Backfill::fetchNamedRepository(int index) {
    if (index >= m_options.repos.size()) {
        if (Error e = storeRepositories(m_listedRepos)) {
            fail(e);
            return;
        }
        repositoriesListed();
        return;
    }
    const QString name = m_options.repos[index];
    m_api.get(
        QStringLiteral("/repos/") + name, whileAlive(this, [index, name](Backfill &self, const Page &page) {
            if (page.error) {
                const bool missing = page.error.kind == Error::Kind::GitHubNotFound;
                self.fail(Error::make(
                    missing ? Error::Kind::GitHubNotFound : page.error.kind,
                    missing
                        ? QStringLiteral("repository %1 does not exist or these credentials cannot see it").arg(name)
                        : QStringLiteral("repository %1: %2").arg(name, page.error.message),
                    page.error.httpStatus));
                return;
            }
            const QJsonObject repo = QJsonDocument::fromJson(page.body).object();
            if (repo.value(QStringLiteral("id")).toDouble() <= 0) {
                self.fail(Error::make(Error::Kind::GitHubUnavailable,
                                      QStringLiteral("repository %1: malformed answer").arg(name)));
                return;
            }
            self.m_listedRepos << repo;
            self.fetchNamedRepository(index + 1);
        }));
}

Error Backfill::storeRepositories(const QList<QJsonObject> &objects) {
    catalog::RowWriter::Outcome outcome;
    if (Error e = m_writer.upsert(*catalog::findCollection(QStringLiteral("repository")), objects,
                                  catalog::MapContext{}, &outcome))
        return e;
    m_records += outcome.written;
    // Walking everything visible: repositories taken out of the selection (the desktop's picker,
    // --keep-removed-repos) keep their rows fresh above but are not walked. Named ones are walked.
    QSet<qint64> deselected;
    if (m_options.repos.isEmpty()) {
        const pg::Result r = m_db.exec(QStringLiteral("SELECT repository_id FROM hubsync.removed_repository"));
        if (!r.ok())
            return pg::databaseError(QStringLiteral("reading the deselected repositories"), r.errorMessage());
        for (int i = 0; i < r.rows(); ++i)
            deselected.insert(r.toInt(i, 0));
    }
    for (const QJsonObject &o : objects) {
        Repository repo;
        repo.id = qint64(o.value(QStringLiteral("id")).toDouble());
        repo.fullName = o.value(QStringLiteral("full_name")).toString();
        if (repo.id <= 0 || repo.fullName.count(QLatin1Char('/')) != 1 || deselected.contains(repo.id))
            continue;
        // Absent flags mean "unknown": try, and let GitHub's answer decide.
        repo.hasIssues = o.value(QStringLiteral("has_issues")).toBool(true);
        repo.hasDiscussions = o.value(QStringLiteral("has_discussions")).toBool(true);
        m_repositories << repo;
    }
    return {};
}

} // namespace hubsync::sync
