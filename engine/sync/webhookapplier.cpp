#include "sync/webhookapplier.h"

#include "catalog/catalog.h"
#include "core/guarded.h"
#include "core/log.h"
#include "store/pg.h"
#include "sync/pagewriter.h"
#include "sync/repositorystate.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace hubsync::sync {

namespace {

const QString component = QStringLiteral("webhooks");

// Worth trying the same delivery again later: GitHub or the database connection is away. A statement
// the database refuses (a constraint) would be refused again: that delivery is recorded as failed. A
// session lost while the delivery was applied (the connection opened again since `reconnectsAtStart`, or
// is still down) is the connection's fault, not the delivery's.
bool isTransient(const Error &e, const pg::Connection &db, int reconnectsAtStart) {
    if (e.kind == Error::Kind::Database)
        return !db.isOpen() || db.reconnects() != reconnectsAtStart;
    return e.kind == Error::Kind::GitHubUnavailable || e.kind == Error::Kind::GitHubRateLimited ||
           e.kind == Error::Kind::GitHubAuth;
}

} // namespace

WebhookApplier::WebhookApplier(Api &api, pg::Connection &db, Options options, QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_db(db)
    , m_options(std::move(options))
    , m_log(db)
    , m_writer(db, m_options.schema) {
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &WebhookApplier::kick);
}

WebhookApplier::~WebhookApplier() = default;

void WebhookApplier::start() {
    m_started = true;
    kick();
}

void WebhookApplier::kick() {
    if (!m_started)
        return;
    if (m_busy) {
        m_kicked = true; // read the queue again once the current delivery is done
        return;
    }
    drain();
}

void WebhookApplier::drain() {
    if (m_queue.empty()) {
        QList<DeliveryLog::Pending> batch;
        if (Error e = m_log.pending(m_options.batch, &batch)) {
            Q_EMIT warning(e.message);
            m_retryTimer.start(5000);
            return;
        }
        m_queue.assign(batch.cbegin(), batch.cend());
    }
    if (m_queue.empty()) {
        QDateTime retryAt;
        if (!m_log.nextRetryAt(&retryAt) && retryAt.isValid())
            m_retryTimer.start(
                int(std::clamp<qint64>(QDateTime::currentDateTimeUtc().msecsTo(retryAt), 10, 3'600'000)));
        Q_EMIT drained();
        return;
    }
    applyNext();
}

void WebhookApplier::applyNext() {
    if (m_options.holdEvent && m_options.holdEvent(m_queue.front().event))
        return; // the owner kicks again when the write-through is done (Options::holdEvent)
    m_current = m_queue.front();
    m_reconnectsAtStart = m_db.reconnects();
    m_queue.pop_front();
    m_busy = true;
    m_kicked = false;
    const QJsonObject payload = QJsonDocument::fromJson(m_current.payload).object();
    const Plan plan = planFor(m_current.event, m_current.action, payload);
    if (!plan.ignored.isEmpty()) {
        finish(plan, {});
        return;
    }
    runFetches(plan, {});
}

void WebhookApplier::runFetches(const Plan &plan, QList<Page> pages) {
    if (pages.size() == plan.fetches.size() + plan.graphqlFetches.size()) {
        finish(plan, pages);
        return;
    }
    if (pages.size() >= plan.fetches.size()) {
        const auto &[query, variables] = plan.graphqlFetches.at(pages.size() - plan.fetches.size());
        m_api.graphql(query, variables,
                      whileAlive(this, [plan, pages](WebhookApplier &self, const GraphqlResult &result) mutable {
                          // NOT_FOUND: the object is gone again (its own deletion event follows); an answer.
                          if (result.error && result.error.kind != Error::Kind::GitHubNotFound) {
                              self.retryOrFail(result.error);
                              return;
                          }
                          Page page;
                          page.httpStatus = 200;
                          page.body = QJsonDocument(result.data).toJson(QJsonDocument::Compact);
                          pages << page;
                          self.runFetches(plan, pages);
                      }));
        return;
    }
    const QString path = plan.fetches.at(pages.size());
    m_api.get(path, whileAlive(this, [plan, pages](WebhookApplier &self, const Page &page) mutable {
                  // A 404 is an answer (the ref or commit is gone); other failures retry the delivery.
                  if (page.error && page.httpStatus != 404 && page.httpStatus != 409 && page.httpStatus != 422) {
                      self.retryOrFail(page.error);
                      return;
                  }
                  pages << page;
                  self.runFetches(plan, pages);
              }));
}

void WebhookApplier::finish(const Plan &plan, const QList<Page> &pages) {
    const auto rollback = [this](const Error &e) {
        m_db.exec(QStringLiteral("ROLLBACK"));
        retryOrFail(e);
    };
    if (Error e = m_db.run(QStringLiteral("BEGIN")))
        return retryOrFail(e);
    QString outcome = QStringLiteral("applied");
    QString note = plan.ignored;
    if (!plan.ignored.isEmpty()) {
        outcome = QStringLiteral("ignored");
    } else if (plan.write) {
        if (Error e = plan.write(pages, &note)) {
            if (isTransient(e, m_db, m_reconnectsAtStart))
                return rollback(e);
            // The payload cannot be applied (malformed, or a row the database refuses): record why and go on;
            // the polling backstop brings the tables back in line.
            m_db.exec(QStringLiteral("ROLLBACK"));
            if (Error b = m_db.run(QStringLiteral("BEGIN")))
                return retryOrFail(b);
            outcome = QStringLiteral("failed");
            note = e.message;
        }
    }
    if (Error e = m_log.markDone(m_current.deliveryId, outcome, note))
        return rollback(e);
    if (Error e = m_db.run(QStringLiteral("COMMIT")))
        return rollback(e);
    if (outcome == QStringLiteral("applied"))
        ++m_stats.applied;
    else if (outcome == QStringLiteral("ignored"))
        ++m_stats.ignored;
    else {
        ++m_stats.failed;
        Q_EMIT warning(QStringLiteral("webhook %1 %2 (delivery %3) could not be applied: %4")
                           .arg(m_current.event, m_current.action, m_current.deliveryId, note));
    }
    if (plan.afterCommit && outcome == QStringLiteral("applied"))
        plan.afterCommit();
    Q_EMIT deliveryApplied(m_current.deliveryId, m_current.event, outcome, m_current.receivedMs);
    m_busy = false;
    if (m_kicked)
        m_queue.clear(); // re-read: deliveries stored meanwhile keep their arrival order
    QTimer::singleShot(0, this, &WebhookApplier::drain);
}

void WebhookApplier::retryOrFail(const Error &error) {
    const int attempt = m_current.attempts + 1;
    if (attempt >= m_options.maxAttempts || !isTransient(error, m_db, m_reconnectsAtStart)) {
        ++m_stats.failed;
        if (Error e = m_log.markDone(m_current.deliveryId, QStringLiteral("failed"), error.message))
            Q_EMIT warning(e.message);
        Q_EMIT warning(QStringLiteral("webhook %1 (delivery %2) failed after %3 attempts: %4")
                           .arg(m_current.event, m_current.deliveryId)
                           .arg(attempt)
                           .arg(error.message));
        Q_EMIT deliveryApplied(m_current.deliveryId, m_current.event, QStringLiteral("failed"), m_current.receivedMs);
    } else {
        ++m_stats.retried;
        // Later deliveries may depend on this one (an edit after a create): keep arrival order by pausing
        // the whole queue rather than skipping ahead.
        const int delay = std::min(300, 1 << std::min(attempt, 8));
        logWarning(component, QStringLiteral("webhook %1 (delivery %2): %3; retrying in %4 s")
                                  .arg(m_current.event, m_current.deliveryId, error.message)
                                  .arg(delay));
        if (Error e = m_log.markRetry(m_current.deliveryId, error.message, delay))
            Q_EMIT warning(e.message);
        m_queue.clear();
        m_busy = false;
        m_retryTimer.start(delay * 1000);
        return;
    }
    m_busy = false;
    m_queue.clear();
    QTimer::singleShot(0, this, &WebhookApplier::drain);
}

WebhookApplier::Plan WebhookApplier::planFor(const QString &event, const QString &action, const QJsonObject &payload) {
    // Events are routed by installation: an App's deliveries name theirs in `installation.id`.
    const bool aboutInstallation =
        event == QStringLiteral("installation") || event == QStringLiteral("installation_repositories");
    const qint64 installation =
        qint64(payload.value(QStringLiteral("installation")).toObject().value(QStringLiteral("id")).toDouble());
    if (aboutInstallation && m_options.installationId == 0)
        return ignoredPlan(
            QStringLiteral("%1 event: this sync uses a token, not a GitHub App installation").arg(event));
    if (m_options.installationId != 0 && (installation > 0 || aboutInstallation) &&
        installation != m_options.installationId)
        return ignoredPlan(QStringLiteral("installation %1 is not this sync's (installation %2)")
                               .arg(installation)
                               .arg(m_options.installationId));
    if (event == QStringLiteral("installation"))
        return planInstallation(action);
    if (event == QStringLiteral("installation_repositories"))
        return planInstallationRepositories(action, payload);
    if (event == QStringLiteral("ping"))
        return ignoredPlan(QStringLiteral("ping"));

    const qint64 repoId =
        qint64(payload.value(QStringLiteral("repository")).toObject().value(QStringLiteral("id")).toDouble());
    if (repoId <= 0)
        return ignoredPlan(QStringLiteral("%1 event without a repository").arg(event));
    Repository repo;
    bool found = false;
    if (Error e = findRepository(repoId, &repo, &found)) {
        Plan plan;
        plan.write = [e](const QList<Page> &, QString *) { return e; };
        return plan;
    }
    if (!found)
        return ignoredPlan(QStringLiteral("repository %1 is not synced").arg(repoId));

    if (event == QStringLiteral("issues"))
        return planIssues(action, payload, repo);
    if (event == QStringLiteral("pull_request"))
        return planPullRequest(action, payload, repo);
    if (event == QStringLiteral("issue_comment"))
        return planIssueComment(action, payload, repo);
    if (event == QStringLiteral("label"))
        return planLabel(action, payload, repo);
    if (event == QStringLiteral("release"))
        return planSimple(QStringLiteral("release"), QStringLiteral("release"), action, payload, repo);
    if (event == QStringLiteral("discussion"))
        return planDiscussion(action, payload, repo);
    if (event == QStringLiteral("discussion_comment"))
        return planDiscussionComment(action, payload, repo);
    if (event == QStringLiteral("push"))
        return planPush(payload, repo);
    if (event == QStringLiteral("create"))
        return planCreate(payload, repo);
    if (event == QStringLiteral("delete"))
        return planDelete(payload, repo);
    if (event == QStringLiteral("repository"))
        return planRepository(action, payload, repo);
    if (event == QStringLiteral("member")) {
        Plan plan;
        const QJsonObject member = payload.value(QStringLiteral("member")).toObject();
        plan.write = [this, member](const QList<Page> &, QString *note) {
            return upsert(QStringLiteral("user"), {member}, {}, note);
        };
        return plan;
    }
    return ignoredPlan(QStringLiteral("%1 events are not synced").arg(event));
}

Error WebhookApplier::findRepository(qint64 id, Repository *repo, bool *found) {
    const pg::Result r = m_db.execParams(
        QStringLiteral("SELECT full_name, coalesce(has_issues, true), coalesce(has_discussions, true) FROM %1"
                       " WHERE id = $1 AND id NOT IN (SELECT repository_id FROM hubsync.removed_repository)")
            .arg(m_writer.table(QStringLiteral("repository"))),
        {pg::param(id)});
    if (!r.ok())
        return pg::databaseError(QStringLiteral("looking up a repository"), r.errorMessage());
    *found = r.rows() == 1;
    if (*found)
        *repo = Repository{id, r.text(0, 0), r.text(0, 1) == QStringLiteral("t"), r.text(0, 2) == QStringLiteral("t")};
    return {};
}

Error WebhookApplier::upsert(const QString &table, const QList<QJsonObject> &objects,
                             const catalog::MapContext &context, QString *note) {
    const catalog::Collection *collection = catalog::findCollection(table);
    if (!collection)
        return Error::make(Error::Kind::Internal, QStringLiteral("no table ") + table);
    // Rows with a REST id can have been deleted by an earlier webhook: an older event must not revive them.
    QList<QJsonObject> live;
    const bool idKeyed = collection->primaryKey == QStringList{QStringLiteral("id")} && table != QStringLiteral("user");
    QString keyPath = QStringLiteral("id");
    for (const catalog::Column &c : collection->columns) {
        if (c.name == QStringLiteral("id") && !c.path.isEmpty())
            keyPath = c.path; // discussions: databaseId
    }
    for (const QJsonObject &o : objects) {
        bool dead = false;
        const qint64 key = qint64(o.value(keyPath).toDouble());
        if (idKeyed) {
            if (Error e = m_log.hasTombstone(table, QString::number(key), &dead))
                return e;
        }
        if (dead)
            *note = QStringLiteral("%1 %2 was deleted; older event skipped").arg(table).arg(key);
        else
            live << o;
    }
    catalog::RowWriter::Outcome outcome;
    if (Error e = m_writer.upsert(*collection, live, context, &outcome))
        return e;
    if (outcome.malformed > 0)
        return Error::make(Error::Kind::Usage,
                           QStringLiteral("the %1 in the payload lacks required fields").arg(table));
    if (outcome.stale > 0 && note->isEmpty())
        *note = QStringLiteral("the table already had newer data");
    // GitHub sends no event for reactions; an object whose rollup says it has some gets its reactions
    // re-read by the next reaction refresh (the backfill's work list).
    if (table == QStringLiteral("issue") || table == QStringLiteral("comment")) {
        if (Error e = queueReactions(table, live, context.repositoryId))
            return e;
    }
    if ((table == QStringLiteral("issue") || table == QStringLiteral("pull_request")) &&
        !outcome.appliedIds.isEmpty()) {
        const QSet<qint64> applied(outcome.appliedIds.cbegin(), outcome.appliedIds.cend());
        return m_writer.replaceLabels(table + QStringLiteral("_label"), live, applied, context);
    }
    return {};
}

Error WebhookApplier::queueReactions(const QString &table, const QList<QJsonObject> &objects, qint64 repositoryId) {
    const bool comment = table == QStringLiteral("comment");
    Repository repo;
    bool found = false;
    for (const QJsonObject &o : objects) {
        const qint64 key = qint64(o.value(comment ? QStringLiteral("id") : QStringLiteral("number")).toDouble());
        if (key <= 0 ||
            o.value(QStringLiteral("reactions")).toObject().value(QStringLiteral("total_count")).toInt() <= 0)
            continue;
        if (!found) {
            if (Error e = findRepository(repositoryId, &repo, &found))
                return e;
            if (!found)
                return {};
        }
        if (Error e = queueReactionSubject(m_db, m_options.schema, repo, table, key))
            return e;
    }
    return {};
}

Error WebhookApplier::remove(const QString &table, qint64 id, QString *note) {
    const catalog::Collection *collection = catalog::findCollection(table);
    if (!collection || id <= 0)
        return Error::make(Error::Kind::Usage, QStringLiteral("the payload names no %1 to delete").arg(table));
    if (Error e = m_log.addTombstone(table, QString::number(id)))
        return e;
    int removed = 0;
    if (Error e = m_writer.remove(*collection, {id}, &removed))
        return e;
    if (removed == 0)
        *note = QStringLiteral("%1 %2 was not in the table").arg(table).arg(id);
    return {};
}

Error WebhookApplier::removeDependents(qint64 repositoryId, const QString &subjectType, qint64 subjectId,
                                       qint64 issueNumber) {
    const QString reactions = m_writer.table(QStringLiteral("reaction"));
    if (issueNumber > 0) {
        const QString comments = m_writer.table(QStringLiteral("comment"));
        if (Error e = m_db.run(QStringLiteral("DELETE FROM %1 WHERE subject_type = 'comment' AND subject_id IN"
                                              " (SELECT id FROM %2 WHERE repository_id = $1 AND issue_number = $2)")
                                   .arg(reactions, comments),
                               {pg::param(repositoryId), pg::param(issueNumber)},
                               QStringLiteral("deleting the reactions of a deleted issue's comments")))
            return e;
        if (Error e =
                m_db.run(QStringLiteral("DELETE FROM %1 WHERE repository_id = $1 AND issue_number = $2").arg(comments),
                         {pg::param(repositoryId), pg::param(issueNumber)},
                         QStringLiteral("deleting a deleted issue's comments")))
            return e;
    }
    return m_db.run(QStringLiteral("DELETE FROM %1 WHERE subject_type = $1 AND subject_id = $2").arg(reactions),
                    {pg::param(subjectType), pg::param(subjectId)}, QStringLiteral("deleting reactions"));
}

Error WebhookApplier::removeRef(qint64 repositoryId, const QString &fullRef, QString *note) {
    const pg::Result r = m_db.execParams(QStringLiteral("DELETE FROM %1 WHERE repository_id = $1 AND name = $2")
                                             .arg(m_writer.table(QStringLiteral("ref"))),
                                         {pg::param(repositoryId), pg::param(fullRef)});
    if (!r.ok())
        return pg::databaseError(QStringLiteral("deleting a ref"), r.errorMessage());
    if (r.affectedRows() == 0)
        *note = QStringLiteral("%1 was not in the table").arg(fullRef);
    return {};
}

Error WebhookApplier::upsertRefPage(const Page &page, const Repository &repo, const QString &fullRef, QString *note) {
    if (page.httpStatus == 404)
        return removeRef(repo.id, fullRef, note); // gone again by the time we asked
    const QJsonDocument doc = QJsonDocument::fromJson(page.body);
    // GET /git/ref/{ref} answers one object; some servers answer a list of refs with that prefix.
    QJsonObject ref = doc.object();
    if (doc.isArray()) {
        for (const QJsonValue &v : doc.array()) {
            if (v.toObject().value(QStringLiteral("ref")).toString() == fullRef)
                ref = v.toObject();
        }
    }
    if (ref.value(QStringLiteral("ref")).toString() != fullRef)
        return Error::make(Error::Kind::GitHubUnavailable,
                           QStringLiteral("GitHub answered another ref than %1").arg(fullRef));
    return upsert(QStringLiteral("ref"), {ref}, catalog::MapContext{repo.id, 0, {}}, note);
}

Error WebhookApplier::removeRepositories(const QList<qint64> &ids) {
    return stopSyncingRepositories(m_db, m_options.schema, ids, !m_options.dropRemovedRepositories);
}

} // namespace hubsync::sync
