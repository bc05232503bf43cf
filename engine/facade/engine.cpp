#include "facade/engine.h"

#include "catalog/catalog.h"
#include "catalog/schema.h"
#include "core/log.h"
#include "core/paths.h"
#include "facade/proxyhost.h"
#include "facade/sandbox.h"
#include "localpg/localcluster.h"
#include "proxy/proxyserver.h"
#include "proxy/writethrough.h"
#include "store/deliverylog.h"
#include "store/migrations.h"
#include "store/pg.h"
#include "sync/backfill.h"
#include "sync/githubapi.h"
#include "sync/poller.h"
#include "sync/repositorystate.h"
#include "sync/webhookapplier.h"
#include "webhooks/receiver.h"
#include "webhooks/redelivery.h"

#include <QDateTime>
#include <QHostAddress>
#include <QRandomGenerator>
#include <QThread>

#include <algorithm>

namespace hubsync {

namespace {

void registerMetaTypes() {
    static const bool once = [] {
        qRegisterMetaType<EngineStatus>();
        qRegisterMetaType<CollectionProgress>();
        qRegisterMetaType<BackfillSummary>();
        qRegisterMetaType<Error>();
        qRegisterMetaType<DatabaseEndpoint>();
        qRegisterMetaType<RepositoryInfo>();
        qRegisterMetaType<QList<RepositoryInfo>>();
        qRegisterMetaType<LiveSyncEvent>();
        return true;
    }();
    Q_UNUSED(once)
}

// "HOST:PORT" of a listen option: an IP address or localhost, never a name to resolve.
bool listenAddress(const QString &text, QHostAddress *address, quint16 *port) {
    const std::optional<HostPort> hostPort = parseHostPort(text);
    if (!hostPort)
        return false;
    *address = hostPort->host == QStringLiteral("localhost") ? QHostAddress(QHostAddress::LocalHost)
                                                             : QHostAddress(hostPort->host);
    *port = hostPort->port;
    return !address->isNull();
}

} // namespace

Engine::Engine(Config config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_redeliveryTimer(this)
    , m_clusterWatch(this) {
    registerMetaTypes();
    // GitHub keeps deliveries three days; looking every hour catches what an outage made us miss.
    m_redeliveryTimer.setInterval(60 * 60 * 1000);
    connect(&m_redeliveryTimer, &QTimer::timeout, this, &Engine::redeliverMissed);
    connect(&m_redeliveryTimer, &QTimer::timeout, this, &Engine::pruneWebhookHistory);
    m_clusterWatch.setInterval(clusterWatchMs);
    connect(&m_clusterWatch, &QTimer::timeout, this, &Engine::watchLocalCluster);
}

Engine::~Engine() = default;

void Engine::setStatus(EngineStatus::State state, const QString &message) {
    m_status.state = state;
    m_status.message = message;
    Q_EMIT statusChanged(m_status);
}

Error Engine::openDatabase() {
    if (m_config.database.isEmpty()) {
        LocalCluster::Options options;
        options.directory = dataDirectory(m_config.dataDir) + QStringLiteral("/postgres");
        options.tcp = m_config.embeddedTcp;
        if (options.tcp) {
            // Over TCP every connection proves the superuser's password, kept in the secret store; a new
            // cluster gets a new one.
            const bool creating = !LocalCluster(options).exists();
            if (Error e = LocalCluster::storedPassword(options.directory, creating, &options.password))
                return e;
            Log::instance().addSecret(QString::fromLatin1(options.password));
        }
        m_localCluster = std::make_unique<LocalCluster>(options);
        if (Error e = m_localCluster->start())
            return e;
        if (Error e = m_localCluster->ensureDatabase(QStringLiteral("hubsync")))
            return e;
        m_conninfo = m_localCluster->conninfo(QStringLiteral("hubsync"));
        m_clusterWatch.start();
    } else {
        m_conninfo = m_config.database;
    }
    m_db = std::make_unique<pg::Connection>();
    if (Error e = m_db->open(m_conninfo))
        return e;
    // The sync's commits need not wait for the WAL flush: every page is committed with its cursor, so
    // after a crash the last unflushed pages are simply fetched again. Session-local; other clients of
    // the database keep their own durability settings.
    if (Error e = m_db->addSessionSetup(QStringLiteral("SET synchronous_commit = off")))
        return e;
    Migrator migrator(*m_db, m_config.schema);
    return migrator.migrate(catalog::allMigrations());
}

Error Engine::connectGitHub() {
    QString apiUrl = m_config.githubApiUrl;
    QString token = m_config.token;
    if (m_config.sandbox) {
        m_sandbox = std::make_unique<Sandbox>();
        if (Error e = m_sandbox->start())
            return e;
        apiUrl = m_sandbox->apiUrl();
        token = m_sandbox->token();
    }
    Config effective = m_config;
    effective.githubApiUrl = apiUrl;
    if (m_config.sandbox)
        effective.githubGraphqlUrl = apiUrl + QStringLiteral("/graphql");
    effective.token = token;
    m_github = effective;
    if (!effective.usesAppAuth() && effective.token.isEmpty())
        return Error::make(Error::Kind::Usage,
                           QStringLiteral("no GitHub credentials: give --token (or GITHUB_TOKEN), or "
                                          "--app-id/--app-key/--installation-id, or use --sandbox"));
    Error error;
    m_api = sync::makeGitHubApi(effective, m_db.get(), &error);
    return error;
}

void Engine::startBackfill(const QStringList &repos, bool quiet) {
    sync::Backfill::Options options;
    options.schema = m_config.schema;
    options.repos = repos;
    options.restOnly = m_config.restOnly;
    m_backfill = std::make_unique<sync::Backfill>(*m_api, *m_db, options);
    m_backfilling = true;
    connect(m_backfill.get(), &sync::Backfill::progress, this, &Engine::progress);
    connect(m_backfill.get(), &sync::Backfill::warning, this, &Engine::warning);
    connect(m_backfill.get(), &sync::Backfill::repositoriesReady, this, &Engine::publishRepositories);
    // Repositories deselected while the backfill ran stop syncing once it ends, either way.
    const auto stopDeselected = [this] {
        if (applyPendingRemovals()) {
            publishRepositories();
            listRepositories();
        }
    };
    connect(m_backfill.get(), &sync::Backfill::failed, this, [this, stopDeselected, repos, quiet](const Error &e) {
        m_backfilling = false;
        stopDeselected();
        if (m_applier && !repos.isEmpty() && e.kind != Error::Kind::GitHubAuth && e.kind != Error::Kind::Internal) {
            // Live already: a repository granted (or picked) later that cannot be backfilled now is one
            // repository's problem. The others keep syncing; it is retried with a growing delay, and the
            // repositories queued meanwhile go on now.
            retryBackfillLater(repos, e, quiet);
            if (!m_queuedRepos.isEmpty()) {
                const QStringList next = std::exchange(m_queuedRepos, {});
                QTimer::singleShot(0, this, [this, next] { startBackfill(next); });
            }
            return;
        }
        setStatus(EngineStatus::State::Failed, e.message);
        Q_EMIT failed(e);
    });
    connect(m_backfill.get(), &sync::Backfill::finished, this,
            [this, quiet, stopDeselected, repos](const BackfillSummary &summary) {
                m_backfilling = false;
                m_backfillRetries.remove(repos.join(QLatin1Char(',')));
                for (const QString &name : repos)
                    m_status.failedRepositories.removeAll(name);
                if (quiet) {
                    logInfo(QStringLiteral("engine"),
                            QStringLiteral("reactions refreshed: %1 records").arg(summary.records));
                } else {
                    publishRepositories();
                    Q_EMIT backfillComplete(summary);
                    if (!m_config.backfillOnly)
                        startLiveSync();
                    setStatus(EngineStatus::State::Live, QStringLiteral("backfill complete: %1 records in %2 s")
                                                             .arg(summary.records)
                                                             .arg(summary.seconds, 0, 'f', 1));
                }
                stopDeselected();
                if (!m_queuedRepos.isEmpty()) {
                    // Repositories granted to the installation (or chosen in the picker) meanwhile.
                    const QStringList next = m_queuedRepos;
                    m_queuedRepos.clear();
                    QTimer::singleShot(0, this, [this, next] { startBackfill(next); });
                }
            });
    if (!quiet)
        setStatus(EngineStatus::State::Backfilling,
                  repos.isEmpty() ? QStringLiteral("backfilling")
                                  : QStringLiteral("backfilling %1").arg(repos.join(QStringLiteral(", "))));
    m_backfill->start();
}

void Engine::start() {
    setStatus(EngineStatus::State::Starting, QStringLiteral("opening the database"));
    if (Error e = openDatabase()) {
        setStatus(EngineStatus::State::Failed, e.message);
        Q_EMIT failed(e);
        return;
    }
    m_status.database =
        m_localCluster ? QStringLiteral("embedded (%1)").arg(m_localCluster->address()) : QStringLiteral("external");
    DatabaseEndpoint endpoint = pg::endpointOf(m_conninfo);
    endpoint.serverVersion = pg::Connection::versionText(m_db ? m_db->serverVersion() : 0);
    Q_EMIT databaseReady(endpoint);
    if (!m_config.backfillOnly)
        startProxy();
    if (m_proxy)
        Q_EMIT proxyReady(proxyEndpoint());
    setStatus(EngineStatus::State::Starting, QStringLiteral("database ready; connecting to GitHub"));
    if (Error e = connectGitHub()) {
        setStatus(EngineStatus::State::Failed, e.message);
        Q_EMIT failed(e);
        return;
    }
    startWriteThrough();
    // Deliveries that arrive during the backfill are stored and applied once it is done.
    if (!m_config.backfillOnly) {
        if (Error e = startWebhookReceiver()) {
            setStatus(EngineStatus::State::Failed, e.message);
            Q_EMIT failed(e);
            return;
        }
    }
    startBackfill(m_config.repos);
}

// The Postgres proxy (--proxy-listen) in front of the synced database. A port already taken is not
// fatal: syncing goes on, and the status says the proxy is off.
void Engine::startProxy() {
    if (m_config.proxyListen.isEmpty())
        return;
    QHostAddress address;
    quint16 port = 0;
    const DatabaseEndpoint endpoint = pg::endpointOf(m_conninfo);
    if (!listenAddress(m_config.proxyListen, &address, &port) || !endpoint.isValid()) {
        Q_EMIT warning(
            QStringLiteral("Postgres proxy not started: '%1' is not an IP address and port").arg(m_config.proxyListen));
        return;
    }
    proxy::ProxyOptions options;
    options.listenAddress = address;
    options.listenPort = port;
    options.upstream.host = endpoint.host;
    options.upstream.port = quint16(endpoint.port);
    options.schema = m_config.schema;
    options.tlsCertificateFile = m_config.proxyTlsCert;
    options.tlsKeyFile = m_config.proxyTlsKey;
    options.serverIdleTimeoutMs = m_config.proxyServerIdleSeconds * 1000;
    m_proxy = std::make_unique<ProxyHost>(options);
    if (Error e = m_proxy->listen()) {
        Q_EMIT warning(QStringLiteral("Postgres proxy not started: ") + e.message);
        m_proxy.reset();
        return;
    }
    logInfo(
        QStringLiteral("engine"),
        QStringLiteral("Postgres proxy on %1:%2 for database %3 (reads pass through; writes to GitHub's tables go to"
                       " GitHub first)")
            .arg(address.toString())
            .arg(m_proxy->port())
            .arg(endpoint.database));
}

// Writes to the issue table through the proxy are applied to GitHub first, by a GitHub client of the
// proxy thread's own (the engine's credentials and base URL), and recorded on a database connection of
// their own.
void Engine::startWriteThrough() {
    if (!m_proxy || !m_api)
        return;
    if (Error e = m_proxy->enableWriteThrough(m_github, m_conninfo)) {
        Q_EMIT warning(QStringLiteral("Postgres proxy: writes to GitHub tables stay refused: ") + e.message);
        return;
    }
    // The webhook applier, created after the backfill, connects to ProxyHost::writesIdle itself.
    logInfo(QStringLiteral("engine"),
            QStringLiteral("Postgres proxy: writes to %1 (schema %2) are applied to GitHub first")
                .arg(proxy::writableTables().join(QStringLiteral(", ")), m_config.schema));
}

Error Engine::startWebhookReceiver() {
    QString listen = m_config.webhookListen;
    QByteArray secret = m_config.webhookSecret.toUtf8();
    if (listen.isEmpty() && m_sandbox) {
        // The sandbox wires the simulator's webhooks to a receiver of its own, with a one-time secret.
        listen = QStringLiteral("127.0.0.1:0");
        secret = QByteArray::number(QRandomGenerator::system()->generate64(), 16);
    }
    if (listen.isEmpty())
        return {};
    QHostAddress address;
    quint16 port = 0;
    if (!listenAddress(listen, &address, &port))
        return Error::make(Error::Kind::Usage,
                           QStringLiteral("--webhook-listen: '%1' is not an IP address and port").arg(listen));
    Log::instance().addSecret(QString::fromUtf8(secret)); // redacted should it ever reach a message
    m_deliveryLog = std::make_unique<DeliveryLog>(*m_db);
    webhooks::WebhookReceiver::Options options;
    options.address = address;
    options.port = port;
    options.secret = secret;
    m_receiver = std::make_unique<webhooks::WebhookReceiver>(*m_deliveryLog, options);
    if (Error e = m_receiver->listen())
        return e;
    if (m_sandbox)
        m_sandbox->deliverWebhooksTo(QStringLiteral("http://127.0.0.1:%1/").arg(m_receiver->port()),
                                     QString::fromLatin1(secret));
    return {};
}

void Engine::startWebhookApplier() {
    sync::WebhookApplier::Options options;
    options.schema = m_config.schema;
    options.dropRemovedRepositories = !m_config.keepRemovedRepos;
    options.installationId = m_config.usesAppAuth() ? m_config.installationId : 0;
    options.holdEvent = [this, held = proxy::writtenEvents()](const QString &event) {
        return m_proxy && m_proxy->isWriting() && held.contains(event);
    };
    m_applier = std::make_unique<sync::WebhookApplier>(*m_api, *m_db, options);
    if (m_proxy)
        connect(m_proxy.get(), &ProxyHost::writesIdle, m_applier.get(), &sync::WebhookApplier::kick,
                Qt::QueuedConnection);
    // Queued: GitHub gets its answer first, then the delivery is applied.
    connect(m_receiver.get(), &webhooks::WebhookReceiver::deliveryQueued, m_applier.get(), &sync::WebhookApplier::kick,
            Qt::QueuedConnection);
    connect(m_applier.get(), &sync::WebhookApplier::warning, this, &Engine::warning);
    connect(m_applier.get(), &sync::WebhookApplier::deliveryApplied, this,
            [this](const QString &, const QString &event, const QString &outcome, qint64 receivedMs) {
                const qint64 now = QDateTime::currentMSecsSinceEpoch();
                Q_EMIT webhookApplied(event, outcome, now - receivedMs);
                Q_EMIT liveEvent(LiveSyncEvent{LiveSyncEvent::Source::Webhook,
                                               QStringLiteral("%1 webhook %2").arg(event, outcome), now,
                                               outcome == QStringLiteral("failed")});
            });
    connect(m_applier.get(), &sync::WebhookApplier::repositoriesAdded, this, &Engine::backfillAdded);
    connect(m_applier.get(), &sync::WebhookApplier::repositoriesRemoved, this, [this](const QList<qint64> &ids) {
        logInfo(QStringLiteral("engine"),
                QStringLiteral("%1 repositories removed from the installation; %2")
                    .arg(ids.size())
                    .arg(m_config.keepRemovedRepos ? QStringLiteral("their rows are kept")
                                                   : QStringLiteral("their rows are dropped")));
        publishRepositories();
    });
    connect(m_applier.get(), &sync::WebhookApplier::installationStopped, this, &Engine::stopSyncing);
    connect(m_applier.get(), &sync::WebhookApplier::installationResumed, this, [this] {
        logInfo(QStringLiteral("engine"), QStringLiteral("the GitHub App installation is active again"));
        m_liveStarted = false;
        startLiveSync();
        setStatus(EngineStatus::State::Live, QStringLiteral("syncing again"));
    });
    m_applier->start();
}

// Reactions send no webhooks and do not move their subject's updated_at: the subjects polls and
// webhooks saw with reactions are on the work list, and after every poll cycle their reactions are
// re-read by a quiet backfill of those repositories (every other collection is already complete).
void Engine::refreshReactions() {
    if (m_backfilling || !m_db)
        return;
    const pg::Result r = m_db->execParams(
        QStringLiteral("SELECT DISTINCT r.full_name FROM hubsync.reaction_todo t JOIN %1.repository r ON r.id ="
                       " t.repository_id WHERE t.schema = $1 ORDER BY 1")
            .arg(m_db->quoteIdentifier(m_config.schema)),
        {pg::param(m_config.schema)});
    if (!r.ok()) {
        Q_EMIT warning(QStringLiteral("reading the reaction work list: ") + r.errorMessage());
        return;
    }
    QStringList repos;
    for (int i = 0; i < r.rows(); ++i)
        repos << r.text(i, 0);
    if (!repos.isEmpty())
        startBackfill(repos, true);
}

void Engine::retryBackfillLater(const QStringList &repos, const Error &error, bool quiet) {
    int &attempts = m_backfillRetries[repos.join(QLatin1Char(','))];
    const int delaySeconds = int(std::min<qint64>(3600, qint64(30) << std::min(attempts, 7)));
    ++attempts;
    const QString message = QStringLiteral("%1: backfill failed (%2); retrying in %3 s, the other repositories keep "
                                           "syncing")
                                .arg(repos.join(QStringLiteral(", ")), error.message)
                                .arg(delaySeconds);
    for (const QString &name : repos) {
        if (!m_status.failedRepositories.contains(name))
            m_status.failedRepositories << name;
    }
    setStatus(EngineStatus::State::Live, message);
    Q_EMIT warning(message);
    QTimer::singleShot(std::chrono::seconds(delaySeconds), this, [this, repos, quiet] {
        if (!m_applier)
            return;
        if (m_backfilling) {
            for (const QString &name : repos) {
                if (!m_queuedRepos.contains(name))
                    m_queuedRepos << name;
            }
            return;
        }
        startBackfill(repos, quiet);
    });
}

void Engine::backfillAdded(const QStringList &names) {
    logInfo(QStringLiteral("engine"),
            QStringLiteral("new repositories to sync: %1").arg(names.join(QStringLiteral(", "))));
    if (m_backfilling) {
        for (const QString &name : names) {
            if (!m_queuedRepos.contains(name))
                m_queuedRepos << name;
        }
    } else {
        startBackfill(names);
    }
}

void Engine::stopSyncing(const QString &reason) {
    // The receiver and the applier stay: an "unsuspend" delivery must still be heard.
    m_poller.reset();
    m_redeliveryTimer.stop();
    m_status.liveSyncMode = QStringLiteral("stopped");
    setStatus(EngineStatus::State::Failed, reason);
    Q_EMIT warning(reason);
}

void Engine::redeliverMissed() {
    if (!m_receiver || !m_api->isInstallation())
        return;
    if (!m_redeliverer) {
        m_redeliverer =
            std::make_unique<webhooks::Redeliverer>(*m_api, *m_deliveryLog, webhooks::Redeliverer::Options{});
        connect(m_redeliverer.get(), &webhooks::Redeliverer::failed, this, [this](const Error &e) {
            Q_EMIT warning(QStringLiteral("could not check for missed webhook deliveries: ") + e.message);
        });
        connect(m_redeliverer.get(), &webhooks::Redeliverer::finished, this,
                [](const webhooks::Redeliverer::Summary &s) {
                    logInfo(QStringLiteral("webhooks"),
                            QStringLiteral("missed-delivery check: %1 deliveries listed, %2 missed, %3 redelivered")
                                .arg(s.listed)
                                .arg(s.missed)
                                .arg(s.redelivered));
                });
    }
    // From an hour before the newest delivery we hold (clocks differ, deliveries overtake each other), or
    // GitHub's whole three-day window when we hold none.
    QDateTime newest;
    if (Error e = m_deliveryLog->newestReceived(&newest)) {
        Q_EMIT warning(e.message);
        return;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QDateTime since = newest.isValid() ? std::max(newest.addSecs(-3600), now.addDays(-3)) : now.addDays(-3);
    m_redeliverer->run(since);
}

// The embedded cluster is HubSync's to keep running: a server that stopped underneath it (killed, out of
// memory, crashed) is started again, its crash recovery runs, and every session reconnects by itself at its
// next statement (pg::Connection). What failed meanwhile is retried as after any database error.
void Engine::watchLocalCluster() {
    if (!m_localCluster || m_localCluster->serverAlive())
        return;
    if (!m_localCluster->exists()) {
        // Its files are gone (a removed directory, an unmounted disk): starting would make a new, empty
        // cluster under the running engine. Say so and leave it.
        m_clusterWatch.stop();
        Q_EMIT warning(QStringLiteral("the embedded database's files in %1 are gone; restart HubSync")
                           .arg(m_localCluster->dataDirectory()));
        return;
    }
    logWarning(QStringLiteral("localpg"), QStringLiteral("the embedded database server stopped; starting it again"));
    if (Error e = m_localCluster->start()) {
        Q_EMIT warning(QStringLiteral("the embedded database stopped and could not be started again (next try in "
                                      "%1 s): %2")
                           .arg(clusterWatchMs / 1000)
                           .arg(e.message));
        return;
    }
    logInfo(QStringLiteral("localpg"), QStringLiteral("the embedded database server runs again"));
}

void Engine::pruneWebhookHistory() {
    if (!m_deliveryLog)
        return;
    DeliveryLog::Pruned pruned;
    if (Error e = m_deliveryLog->prune(&pruned)) {
        Q_EMIT warning(e.message);
        return;
    }
    if (pruned.deliveries > 0 || pruned.tombstones > 0)
        logInfo(QStringLiteral("webhooks"), QStringLiteral("pruned %1 old webhook deliveries and %2 tombstones")
                                                .arg(pruned.deliveries)
                                                .arg(pruned.tombstones));
}

void Engine::startLiveSync() {
    if (m_liveStarted)
        return;
    m_liveStarted = true;
    sync::Poller::Options options;
    options.schema = m_config.schema;
    options.intervalSeconds = m_config.pollIntervalSeconds;
    options.repos = m_config.repos;
    m_poller = std::make_unique<sync::Poller>(*m_api, *m_db, options);
    connect(m_poller.get(), &sync::Poller::warning, this, &Engine::warning);
    connect(m_poller.get(), &sync::Poller::repositoriesDiscovered, this, &Engine::backfillAdded);
    connect(m_poller.get(), &sync::Poller::repositoriesVanished, this, [this](const QList<qint64> &ids) {
        if (Error e = sync::stopSyncingRepositories(*m_db, m_config.schema, ids, m_config.keepRemovedRepos))
            Q_EMIT warning(e.message);
        publishRepositories();
    });
    connect(m_poller.get(), &sync::Poller::cycleFinished, this, &Engine::refreshReactions);
    connect(m_poller.get(), &sync::Poller::cycleFinished, this, [this](const sync::PollStats &stats) {
        const QString summary =
            QStringLiteral("poll cycle: %1 requests (%2 not modified), %3 rows written, %4 deleted, %5 s")
                .arg(stats.requests)
                .arg(stats.notModified)
                .arg(stats.written)
                .arg(stats.deleted)
                .arg(stats.seconds, 0, 'f', 2);
        logInfo(QStringLiteral("poller"), summary);
        Q_EMIT liveEvent(
            LiveSyncEvent{LiveSyncEvent::Source::Poll, summary, QDateTime::currentMSecsSinceEpoch(), false});
    });
    m_poller->start();
    if (m_receiver) {
        if (!m_applier)
            startWebhookApplier();
        redeliverMissed();
        pruneWebhookHistory();
        m_redeliveryTimer.start();
        m_status.liveSyncMode = QStringLiteral("webhooks on port %1, polling every %2 s as a backstop")
                                    .arg(m_receiver->port())
                                    .arg(m_config.pollIntervalSeconds);
    } else {
        m_status.liveSyncMode = QStringLiteral("polling every %1 s (no webhook receiver; --webhook-listen brings "
                                               "changes within seconds)")
                                    .arg(m_config.pollIntervalSeconds);
    }
}

void Engine::publishRepositories() {
    QList<RepositoryInfo> list = syncedRepositoryInfo().values();
    list.removeIf([](const RepositoryInfo &r) { return !r.synced; });
    std::sort(list.begin(), list.end(),
              [](const RepositoryInfo &a, const RepositoryInfo &b) { return a.fullName < b.fullName; });
    Q_EMIT repositoriesAvailable(list);
}

void Engine::stop() {
    m_proxy.reset();
    m_redeliveryTimer.stop();
    m_clusterWatch.stop();
    m_redeliverer.reset();
    m_applier.reset();
    m_receiver.reset();
    m_deliveryLog.reset();
    m_poller.reset();
    m_backfill.reset();
    m_api.reset();
    m_db.reset();
    if (m_sandbox) {
        m_sandbox->stop();
        m_sandbox.reset();
    }
    if (m_localCluster) {
        if (Error e = m_localCluster->stop())
            logWarning(QStringLiteral("engine"), e.message);
        m_localCluster.reset();
    }
    setStatus(EngineStatus::State::Stopped, QStringLiteral("stopped"));
    Q_EMIT stopped();
}

EngineController::EngineController(Config config, QObject *parent)
    : QObject(parent)
    , m_thread(new QThread) {
    m_thread->setObjectName(QStringLiteral("hubsync-engine"));
    m_engine = new Engine(std::move(config));
    m_engine->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_engine, &QObject::deleteLater);
    connect(m_engine, &Engine::statusChanged, this, &EngineController::statusChanged);
    connect(m_engine, &Engine::progress, this, &EngineController::progress);
    connect(m_engine, &Engine::backfillComplete, this, &EngineController::backfillComplete);
    connect(m_engine, &Engine::failed, this, &EngineController::failed);
    connect(m_engine, &Engine::warning, this, &EngineController::warning);
    connect(m_engine, &Engine::databaseReady, this, &EngineController::databaseReady);
    connect(m_engine, &Engine::repositoriesAvailable, this, &EngineController::repositoriesAvailable);
    connect(m_engine, &Engine::webhookApplied, this, &EngineController::webhookApplied);
    connect(m_engine, &Engine::visibleRepositories, this, &EngineController::visibleRepositories);
    connect(m_engine, &Engine::liveEvent, this, &EngineController::liveEvent);
    connect(m_engine, &Engine::proxyReady, this, &EngineController::proxyReady);
    connect(m_engine, &Engine::stopped, this, &EngineController::stopped);
    m_thread->start();
}

EngineController::~EngineController() {
    // Stop synchronously so the embedded database shuts down before the process exits.
    if (m_thread->isRunning())
        QMetaObject::invokeMethod(m_engine, &Engine::stop, Qt::BlockingQueuedConnection);
}

QStringList EngineController::syncedTables() {
    QStringList tables;
    for (const catalog::Collection &c : catalog::collections())
        tables << c.table;
    return tables;
}

QStringList EngineController::writableColumns(const QString &table) {
    return proxy::writableColumns(table);
}

QStringList EngineController::insertColumns(const QString &table) {
    return proxy::insertColumns(table);
}

QStringList EngineController::deletableTables() {
    return proxy::deletableTables();
}

void EngineController::start() {
    QMetaObject::invokeMethod(m_engine, &Engine::start, Qt::QueuedConnection);
}

void EngineController::stop() {
    QMetaObject::invokeMethod(m_engine, &Engine::stop, Qt::QueuedConnection);
}

void Engine::syncNow() {
    if (m_poller) {
        logInfo(QStringLiteral("engine"), QStringLiteral("a polling cycle was asked for"));
        m_poller->pollNow();
        return;
    }
    Q_EMIT warning(m_backfilling ? QStringLiteral("Sync now: a backfill is running; live sync and polling start when "
                                                  "it is done.")
                                 : QStringLiteral("Sync now: live sync has not started yet (see the status line)."));
}

void EngineController::syncNow() {
    QMetaObject::invokeMethod(m_engine, &Engine::syncNow, Qt::QueuedConnection);
}

QString EngineController::libpqVersion() {
    return pg::Connection::libraryVersion();
}

void EngineController::listRepositories() {
    QMetaObject::invokeMethod(m_engine, &Engine::listRepositories, Qt::QueuedConnection);
}

void EngineController::changeRepositorySelection(const QStringList &add, const QStringList &remove, bool keepRows) {
    QMetaObject::invokeMethod(
        m_engine,
        [engine = m_engine, add, remove, keepRows] { engine->changeRepositorySelection(add, remove, keepRows); },
        Qt::QueuedConnection);
}

} // namespace hubsync
