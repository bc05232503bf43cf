#include "sync/backfill.h"

#include "catalog/catalog.h"
#include "core/log.h"
#include "store/pg.h"
#include "sync/backfill_p.h"

#include <QTimer>

namespace hubsync::sync {

QString stepTable(Step step) {
    switch (step) {
    case Step::Label:
        return QStringLiteral("label");
    case Step::Ref:
        return QStringLiteral("ref");
    case Step::Issue:
        return QStringLiteral("issue");
    case Step::PullRequest:
        return QStringLiteral("pull_request");
    case Step::Comment:
        return QStringLiteral("comment");
    case Step::Commit:
        return QStringLiteral("commit");
    case Step::Release:
        return QStringLiteral("release");
    case Step::Discussion:
        return QStringLiteral("discussion");
    case Step::Reaction:
        return QStringLiteral("reaction");
    case Step::Done:
        break;
    }
    return {};
}

namespace {

bool objectsOf(const QJsonDocument &doc, QList<QJsonObject> &items, const QList<QByteArray> *elements,
               QList<QByteArray> *raw) {
    if (!doc.isArray())
        return false;
    const QJsonArray array = doc.array();
    const bool split = elements && elements->size() == array.size();
    items.reserve(array.size());
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QJsonValue v = array.at(i);
        if (!v.isObject())
            continue;
        items << v.toObject();
        if (split && raw)
            *raw << elements->at(i);
    }
    return true;
}

} // namespace

bool parseArray(const QByteArray &body, QList<QJsonObject> &items) {
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    return error.error == QJsonParseError::NoError && objectsOf(doc, items, nullptr, nullptr);
}

bool parseArray(const Page &page, QList<QJsonObject> &items, QList<QByteArray> &raw) {
    QJsonDocument parsed = page.json;
    if (parsed.isNull()) {
        QJsonParseError error{};
        parsed = QJsonDocument::fromJson(page.body, &error);
        if (error.error != QJsonParseError::NoError)
            return false;
    }
    QList<QByteArray> elements;
    if (parsed.isArray() && !catalog::splitJsonArray(page.body, elements))
        elements.clear();
    return objectsOf(parsed, items, &elements, &raw);
}

Backfill::Backfill(Api &api, pg::Connection &db, Options options, QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_db(db)
    , m_options(std::move(options))
    , m_pages(db, m_options.schema)
    , m_writer(m_pages.rows())
    , m_cursors(db, m_options.schema) {}

Backfill::~Backfill() = default;

void Backfill::start() {
    if (m_running)
        return;
    m_running = true;
    m_failed = false;
    m_records = 0;
    m_clock.start();
    // Raw payloads are the bulk of what the tables store; LZ4 compresses them several times faster than
    // the default pglz. Session-local, and only where the server was built with LZ4 (else ignored).
    (void)m_db.addSessionSetup(QStringLiteral("SET default_toast_compression = lz4"));
    if (m_options.writerThreads > 0 && !m_writers) {
        auto writers = std::make_unique<PageWriters>();
        if (Error e = writers->start(m_db, m_options.schema, m_options.writerThreads))
            Q_EMIT warning(
                QStringLiteral("writing pages in the event loop: no extra database session (%1)").arg(e.message));
        else
            m_writers = std::move(writers);
    }
    listRepositories();
}

void Backfill::fail(const Error &error) {
    if (m_failed)
        return;
    m_failed = true;
    m_running = false;
    logError(QStringLiteral("backfill"), error.message);
    Q_EMIT failed(error);
}

void Backfill::repositoriesListed() {
    logInfo(QStringLiteral("backfill"), QStringLiteral("%1 repositories to sync").arg(m_repositories.size()));
    m_nextRepo = 0;
    Q_EMIT repositoriesReady(int(m_repositories.size()));
    startMoreRepos();
}

void Backfill::startMoreRepos() {
    if (m_failed)
        return;
    while (qsizetype(m_active.size()) < m_options.parallelRepos && m_nextRepo < m_repositories.size()) {
        auto run = std::make_unique<RepoRun>();
        run->repo = m_repositories[m_nextRepo++];
        run->step = Step::Label;
        RepoRun &ref = *run;
        m_active.push_back(std::move(run));
        runStep(ref);
        if (m_failed)
            return;
    }
    if (m_active.empty() && m_nextRepo >= m_repositories.size() && m_running) {
        m_running = false;
        if (!m_permissionProblems.isEmpty()) {
            // One sentence per distinct reason (usually one missing App permission), naming what it blocked.
            QStringList reasons;
            for (auto it = m_permissionProblems.cbegin(); it != m_permissionProblems.cend(); ++it) {
                const QStringList &what = it.value();
                reasons << QStringLiteral("%1 — %2%3")
                               .arg(it.key(), what.mid(0, 6).join(QStringLiteral(", ")),
                                    what.size() > 6 ? QStringLiteral(" and %1 more").arg(what.size() - 6) : QString());
            }
            fail(Error::make(Error::Kind::GitHubPermission,
                             QStringLiteral("backfill incomplete, GitHub refused access: ") +
                                 reasons.join(QStringLiteral("; "))));
            return;
        }
        BackfillSummary summary;
        summary.records = m_records;
        summary.seconds = double(m_clock.elapsed()) / 1000.0;
        summary.repositories = int(m_repositories.size());
        Q_EMIT finished(summary);
    }
}

void Backfill::runStep(RepoRun &run) {
    while (run.step != Step::Done) {
        Error error;
        run.cursor = m_cursors.load(run.repo.id, stepTable(run.step), &error);
        if (error) {
            fail(error);
            return;
        }
        // Reactions have no end: the work list fills again whenever a poll or a webhook sees an issue or
        // comment with reactions, so the step runs whenever the list holds this repository's subjects.
        const bool reactionWork = run.step == Step::Reaction && run.cursor.done && hasReactionWork(run.repo.id);
        const bool skip = (run.cursor.done && !reactionWork) || (run.step == Step::Issue && !run.repo.hasIssues) ||
                          (run.step == Step::Discussion && !run.repo.hasDiscussions);
        if (!skip)
            break;
        run.step = Step(int(run.step) + 1);
    }
    if (run.step == Step::Done) {
        repoFinished(run);
        return;
    }
    run.stepClock.start();
    run.fetchedAtStepStart = run.cursor.fetched;
    fetchNext(run);
}

bool Backfill::hasReactionWork(qint64 repositoryId) {
    const pg::Result r = m_db.execParams(
        QStringLiteral("SELECT EXISTS (SELECT 1 FROM hubsync.reaction_todo WHERE repository_id = $1 AND schema = $2)"),
        {pg::param(repositoryId), pg::param(m_options.schema)});
    return r.ok() && r.text(0, 0) == QStringLiteral("t");
}

void Backfill::advance(RepoRun &run) {
    if (run.pendingWrites > 0) {
        RepoRun *target = &run;
        run.whenWritten = [this, target] { advance(*target); };
        return;
    }
    emitProgress(run);
    run.step = Step(int(run.step) + 1);
    runStep(run);
}

void Backfill::fetchNext(RepoRun &run) {
    if (m_failed)
        return;
    switch (run.step) {
    case Step::Reaction:
        nextReactionSubject(run);
        return;
    case Step::Discussion:
        fetchDiscussions(run);
        return;
    case Step::Comment:
        if (commentsThroughGraphql(run)) {
            fetchCommentThreads(run);
            return;
        }
        // A walk begun through GraphQL that has to go on through REST starts again (upserts make the pages
        // already written harmless).
        if (run.cursor.nextUrl.startsWith(QLatin1String("graphql:")))
            run.cursor.nextUrl.clear();
        break;
    default:
        break;
    }
    const QString url = run.cursor.nextUrl.isEmpty() ? initialPath(run) : run.cursor.nextUrl;
    RepoRun *target = &run;
    m_api.get(url, whileAlive(this, [target](Backfill &self, const Page &page) {
                  if (!self.m_failed)
                      self.onPage(*target, page);
              }));
}

void Backfill::repoFinished(RepoRun &run) {
    logInfo(QStringLiteral("backfill"), QStringLiteral("%1: backfill complete").arg(run.repo.fullName));
    for (auto it = m_active.begin(); it != m_active.end(); ++it) {
        if (it->get() == &run) {
            // Erase later: we may be inside a callback that still references the run.
            std::unique_ptr<RepoRun> finished = std::move(*it);
            m_active.erase(it);
            QTimer::singleShot(0, this, [keep = std::shared_ptr<RepoRun>(std::move(finished))] {});
            break;
        }
    }
    startMoreRepos();
}

// Returns true when the error only ends this step (the repository goes on), false when fatal.
bool Backfill::handleStepError(RepoRun &run, const Error &error, int httpStatus) {
    const QString what = QStringLiteral("%1 %2").arg(run.repo.fullName, stepTable(run.step));
    switch (error.kind) {
    case Error::Kind::GitHubGone:
    case Error::Kind::GitHubNotFound:
        // 410: the feature is disabled for this repository (e.g. issues off); 404 on a sub-resource: same.
        Q_EMIT warning(QStringLiteral("%1: GitHub says this collection is unavailable (%2 %3); skipping it")
                           .arg(what)
                           .arg(httpStatus)
                           .arg(error.message));
        break;
    case Error::Kind::GitHubPermission:
        m_permissionProblems[error.message] << what;
        Q_EMIT warning(QStringLiteral("%1: permission denied: %2").arg(what, error.message));
        return true; // no cursor: retried on the next run once the permission is granted
    default:
        if (httpStatus == 409) { // "Git Repository is empty."
            break;
        }
        fail(
            Error::make(error.kind, QStringLiteral("%1: %2").arg(what, error.message), error.httpStatus, error.detail));
        return false;
    }
    run.cursor.done = true;
    run.cursor.nextUrl.clear();
    if (Error e = m_cursors.save(run.cursor)) {
        fail(e);
        return false;
    }
    return true;
}

void Backfill::emitProgress(RepoRun &run) {
    CollectionProgress p;
    p.repository = run.repo.fullName;
    p.collection = stepTable(run.step);
    p.fetched = run.cursor.fetched;
    p.written = run.cursor.written;
    p.total = run.cursor.total;
    const double seconds = double(run.stepClock.elapsed()) / 1000.0;
    const qint64 fetchedNow = run.cursor.fetched - run.fetchedAtStepStart;
    p.recordsPerSecond = seconds > 0 ? double(fetchedNow) / seconds : 0;
    if (p.total > 0 && p.recordsPerSecond > 0)
        p.etaSeconds = qint64(double(qMax<qint64>(0, p.total - p.fetched)) / p.recordsPerSecond);
    p.quotaRemaining = m_restPool.remaining;
    p.quotaResetEpoch = m_restPool.resetEpoch;
    p.graphqlRemaining = m_graphqlPool.remaining;
    p.graphqlResetEpoch = m_graphqlPool.resetEpoch;
    p.done = run.cursor.done;
    Q_EMIT progress(p);
}

} // namespace hubsync::sync
