#pragma once

#include "core/config.h"
#include "core/events.h"
#include "core/ownedthread.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QThread>
#include <QTimer>

#include <memory>

namespace hubsync {

class DeliveryLog;
class LocalCluster;
class Sandbox;
namespace pg {
class Connection;
}
namespace sync {
class Api;
class Backfill;
class Poller;
struct Page;
class WebhookApplier;
} // namespace sync
namespace webhooks {
class Redeliverer;
class WebhookReceiver;
} // namespace webhooks
class ProxyHost;

// The engine. Lives on a worker thread (EngineController moves it there); every slot runs on that
// thread and results leave through signals carrying value types.
class Engine final : public QObject {
    Q_OBJECT
public:
    explicit Engine(Config config, QObject *parent = nullptr);
    ~Engine() override;
    // How often the embedded cluster's server is checked (and started again when it stopped).
    static constexpr int clusterWatchMs = 5000;
    Q_DISABLE_COPY_MOVE(Engine)

public Q_SLOTS:
    void start();
    void stop();
    // Lists every repository the credentials can see (one walk of GitHub's repository list), each with
    // whether it is synced and its record counts; answers with visibleRepositories.
    void listRepositories();
    // The user changed the repository selection: `add` (owner/name) are backfilled (or queued behind a
    // running backfill), `remove` stop syncing. keepRows keeps the removed ones' rows (--keep-removed-repos);
    // otherwise their rows go and only the repository row stays, marked as not synced.
    void changeRepositorySelection(const QStringList &add, const QStringList &remove, bool keepRows);
    // "Sync now": a polling cycle at once (its result arrives as a liveEvent, as every cycle's does).
    // Before live sync runs (a backfill, or no GitHub access) a warning says why nothing happens.
    void syncNow();

Q_SIGNALS:
    void statusChanged(const hubsync::EngineStatus &status);
    void progress(const hubsync::CollectionProgress &progress);
    void backfillComplete(const hubsync::BackfillSummary &summary);
    void failed(const hubsync::Error &error);
    void warning(const QString &message);
    void databaseReady(const hubsync::DatabaseEndpoint &endpoint);
    void repositoriesAvailable(const QList<hubsync::RepositoryInfo> &repositories);
    void visibleRepositories(const QList<hubsync::RepositoryInfo> &repositories);
    // A webhook delivery was applied (outcome "applied", "ignored" or "failed"); latencyMs counts from
    // its arrival at the receiver to its commit.
    void webhookApplied(const QString &event, const QString &outcome, qint64 latencyMs);
    void liveEvent(const hubsync::LiveSyncEvent &event);
    // Where clients (the table browser) reach the synced database through the write-through proxy.
    void proxyReady(const hubsync::DatabaseEndpoint &endpoint);
    void stopped();

private:
    // Repository selection (engine_repositories.cpp)
    QHash<qint64, RepositoryInfo> syncedRepositoryInfo();
    void onVisibleRepositoryPage(const sync::Page &page);
    Error deselectRepositories(const QList<qint64> &ids, bool keepRows);
    bool applyPendingRemovals();
    QList<qint64> syncedIdsOf(const QStringList &names);
    DatabaseEndpoint proxyEndpoint() const;

    void publishRepositories();
    void setStatus(EngineStatus::State state, const QString &message);
    Error openDatabase();
    Error connectGitHub();
    // quiet: a routine refresh (reactions) that does not announce itself as a backfill.
    void startBackfill(const QStringList &repos, bool quiet = false);
    void refreshReactions();
    void startLiveSync();
    Error startWebhookReceiver();
    void startProxy();
    void startWriteThrough();
    void startWebhookApplier();
    void redeliverMissed();
    void pruneWebhookHistory();
    void watchLocalCluster();
    void stopSyncing(const QString &reason);
    void backfillAdded(const QStringList &names);
    void retryBackfillLater(const QStringList &repos, const Error &error, bool quiet);

    Config m_config;
    EngineStatus m_status;
    std::unique_ptr<LocalCluster> m_localCluster;
    std::unique_ptr<Sandbox> m_sandbox;
    std::unique_ptr<pg::Connection> m_db;
    std::unique_ptr<sync::Api> m_api;
    std::unique_ptr<sync::Backfill> m_backfill;
    std::unique_ptr<sync::Poller> m_poller;
    std::unique_ptr<DeliveryLog> m_deliveryLog;
    std::unique_ptr<webhooks::WebhookReceiver> m_receiver;
    std::unique_ptr<sync::WebhookApplier> m_applier;
    std::unique_ptr<webhooks::Redeliverer> m_redeliverer;
    std::unique_ptr<ProxyHost> m_proxy; // the Postgres proxy, on a thread of its own
    Config m_github;                    // m_config with the sandbox's GitHub URL and token filled in
    QTimer m_redeliveryTimer;
    QTimer m_clusterWatch;        // the embedded cluster's server, started again should it stop
    QStringList m_queuedRepos;    // repositories added while a backfill runs: backfilled next
    QStringList m_queuedRemovals; // repositories deselected while a backfill runs: stopped after it
    bool m_queuedRemovalsKeepRows = true;
    QList<QJsonObject> m_visibleListing; // repository list being walked for listRepositories()
    bool m_listingRepositories = false;
    bool m_backfilling = false;
    QHash<QString, int> m_backfillRetries; // "owner/a,owner/b" -> failed attempts in live mode
    bool m_liveStarted = false;
    QString m_conninfo;
};

// Owned by the GUI (or service) thread. Starts the Engine on its own QThread and forwards its signals;
// the destructor stops the engine and joins the thread (quit-and-wait).
class EngineController final : public QObject {
    Q_OBJECT
public:
    explicit EngineController(Config config, QObject *parent = nullptr);
    ~EngineController() override;
    Q_DISABLE_COPY_MOVE(EngineController)

    void start();
    void stop();
    // Queued to the engine: a polling cycle now (see Engine::syncNow()).
    void syncNow();
    // Queued to the engine; answers arrive as visibleRepositories (see Engine).
    void listRepositories();
    void changeRepositorySelection(const QStringList &add, const QStringList &remove, bool keepRows);

    // The synced tables, in the order a table browser should list them.
    static QStringList syncedTables();
    // The PostgreSQL client library's version ("15.8"), for About boxes.
    static QString libpqVersion();
    // The columns of `table` the proxy's write-through lets a client change (empty: read-only).
    static QStringList writableColumns(const QString &table);
    // The columns a new row of `table` is made of through the proxy (empty: no INSERT).
    static QStringList insertColumns(const QString &table);
    // The tables whose rows a DELETE through the proxy removes on GitHub.
    static QStringList deletableTables();

Q_SIGNALS:
    void statusChanged(const hubsync::EngineStatus &status);
    void progress(const hubsync::CollectionProgress &progress);
    void backfillComplete(const hubsync::BackfillSummary &summary);
    void failed(const hubsync::Error &error);
    void warning(const QString &message);
    // Where the synced data can be read (the database); emitted once it is open and migrated.
    void databaseReady(const hubsync::DatabaseEndpoint &endpoint);
    // The repositories being synced, with their record counts (after listing and after the backfill).
    void repositoriesAvailable(const QList<hubsync::RepositoryInfo> &repositories);
    void visibleRepositories(const QList<hubsync::RepositoryInfo> &repositories);
    // A webhook delivery was applied (outcome "applied", "ignored" or "failed"); latencyMs counts from
    // its arrival at the receiver to its commit.
    void webhookApplied(const QString &event, const QString &outcome, qint64 latencyMs);
    void liveEvent(const hubsync::LiveSyncEvent &event);
    // Where clients (the table browser) reach the synced database through the write-through proxy.
    void proxyReady(const hubsync::DatabaseEndpoint &endpoint);
    void stopped();

private:
    OwnedThread m_thread;
    Engine *m_engine = nullptr; // owned by m_thread (deleteLater on finish)
};

} // namespace hubsync
