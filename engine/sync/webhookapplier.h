#pragma once

#include "catalog/rowwriter.h"
#include "core/errors.h"
#include "store/deliverylog.h"
#include "sync/api.h"
#include "sync/steps.h"

#include <QJsonObject>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <deque>
#include <functional>

namespace hubsync::pg {
class Connection;
}

namespace hubsync::sync {

// Applies stored webhook deliveries (hubsync.webhook_delivery) to the synced tables, oldest first, each
// in one transaction together with the record of having applied it, so a crash re-applies nothing twice
// and loses nothing. Out-of-order deliveries cannot regress a row: upserts keep the newer updated_at,
// and deletes leave a tombstone that an older event cannot get past. Events whose payload lacks what a
// table needs (push, create: refs and commits) trigger a targeted re-fetch from the REST API.
// Installation events are turned into signals the engine acts on (backfill new repositories, stop).
class WebhookApplier final : public QObject {
    Q_OBJECT
public:
    struct Options {
        QString schema = QStringLiteral("github");
        bool dropRemovedRepositories = true; // installation_repositories.removed deletes their rows
        // The GitHub App installation this sync is (0: a token). One App installed on several accounts
        // sends every installation's events to the same webhook URL: the others' are recorded as ignored.
        qint64 installationId = 0;
        int maxAttempts = 8; // transient failures (GitHub down) are retried this often
        int batch = 100;     // deliveries read from the queue at a time
        // True for an event while the proxy applies a client's write to GitHub that GitHub echoes with
        // this event ("issues", "issue_comment", ...): such events wait (kick() again afterwards), so the
        // echo cannot race the client's own statement.
        std::function<bool(const QString &event)> holdEvent;
    };
    struct Stats {
        qint64 applied = 0;
        qint64 ignored = 0;
        qint64 failed = 0;
        qint64 retried = 0;
    };

    WebhookApplier(Api &api, pg::Connection &db, Options options, QObject *parent = nullptr);
    ~WebhookApplier() override;
    Q_DISABLE_COPY_MOVE(WebhookApplier)

    // Starts draining the queue (deliveries stored before start() are applied first).
    void start();
    // New deliveries were stored: drain them (cheap to call often).
    void kick();
    [[nodiscard]] bool isBusy() const { return m_busy; }
    [[nodiscard]] const Stats &stats() const { return m_stats; }

Q_SIGNALS:
    // outcome: "applied", "ignored" or "failed"; receivedMs: when the receiver stored it (epoch ms).
    void deliveryApplied(const QString &deliveryId, const QString &event, const QString &outcome, qint64 receivedMs);
    void repositoriesAdded(const QStringList &fullNames);
    void repositoriesRemoved(const QList<qint64> &ids);
    void installationStopped(const QString &reason); // installation deleted or suspended
    void installationResumed();
    void drained(); // the queue is empty
    void warning(const QString &message);

private:
    // What one delivery needs: pages to fetch first (in order), then writes in one transaction.
    struct Plan {
        QString ignored;     // non-empty: nothing to do, and why
        QStringList fetches; // REST paths
        // GraphQL queries (query, variables), asked after the REST fetches; their page body is `data`.
        QList<QPair<QString, QJsonObject>> graphqlFetches;
        std::function<Error(const QList<Page> &pages, QString *note)> write;
        std::function<void()> afterCommit; // signals, once the transaction is safe
    };
    static Plan ignoredPlan(const QString &reason) {
        Plan plan;
        plan.ignored = reason;
        return plan;
    }

    void drain();
    void applyNext();
    void runFetches(const Plan &plan, QList<Page> pages);
    void finish(const Plan &plan, const QList<Page> &pages);
    void retryOrFail(const Error &error);
    Plan planFor(const QString &event, const QString &action, const QJsonObject &payload);

    // webhookapplier_events.cpp: one planner per event family.
    Plan planIssues(const QString &action, const QJsonObject &payload, const Repository &repo);
    Plan planPullRequest(const QString &action, const QJsonObject &payload, const Repository &repo);
    Plan planIssueComment(const QString &action, const QJsonObject &payload, const Repository &repo);
    Plan planSimple(const QString &table, const QString &key, const QString &action, const QJsonObject &payload,
                    const Repository &repo);
    Plan planLabel(const QString &action, const QJsonObject &payload, const Repository &repo);
    Plan planDiscussion(const QString &action, const QJsonObject &payload, const Repository &repo);
    Plan planDiscussionComment(const QString &action, const QJsonObject &payload, const Repository &repo);
    Plan planPush(const QJsonObject &payload, const Repository &repo);
    Plan planCreate(const QJsonObject &payload, const Repository &repo);
    Plan planDelete(const QJsonObject &payload, const Repository &repo);
    Plan planRepository(const QString &action, const QJsonObject &payload, const Repository &repo);
    Plan planInstallation(const QString &action);
    Plan planInstallationRepositories(const QString &action, const QJsonObject &payload);

    // Write helpers (inside the delivery's transaction).
    Error upsert(const QString &table, const QList<QJsonObject> &objects, const catalog::MapContext &context,
                 QString *note);
    Error remove(const QString &table, qint64 id, QString *note);
    Error queueReactions(const QString &table, const QList<QJsonObject> &objects, qint64 repositoryId);
    Error removeRef(qint64 repositoryId, const QString &fullRef, QString *note);
    // Rows that go with a deleted issue or comment: its reactions, and an issue's comments.
    Error removeDependents(qint64 repositoryId, const QString &subjectType, qint64 subjectId, qint64 issueNumber);
    Error upsertDiscussion(const QJsonObject &node, qint64 repositoryId, QString *note);
    Error upsertRefPage(const Page &page, const Repository &repo, const QString &fullRef, QString *note);
    Error removeRepositories(const QList<qint64> &ids);
    Error findRepository(qint64 id, Repository *repo, bool *found);

    Api &m_api;
    pg::Connection &m_db;
    Options m_options;
    DeliveryLog m_log;
    catalog::RowWriter m_writer;
    std::deque<DeliveryLog::Pending> m_queue;
    DeliveryLog::Pending m_current;
    int m_reconnectsAtStart = 0; // the database connection's reconnects() when m_current began
    QTimer m_retryTimer;
    bool m_started = false;
    bool m_busy = false;
    bool m_kicked = false;
    Stats m_stats;
};

} // namespace hubsync::sync
