#include "facade/engine.h"

#include "core/log.h"
#include "core/paths.h"
#include "localpg/localcluster.h"
#include "store/migrations.h"
#include "store/pg.h"

#include <QThread>

namespace hubsync {

namespace {

void registerMetaTypes()
{
    static const bool once = [] {
        qRegisterMetaType<EngineStatus>();
        qRegisterMetaType<CollectionProgress>();
        qRegisterMetaType<BackfillSummary>();
        qRegisterMetaType<Error>();
        return true;
    }();
    Q_UNUSED(once)
}

} // namespace

Engine::Engine(Config config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
{
    registerMetaTypes();
}

Engine::~Engine() = default;

void Engine::setStatus(EngineStatus::State state, const QString &message)
{
    m_status.state = state;
    m_status.message = message;
    Q_EMIT statusChanged(m_status);
}

Error Engine::openDatabase()
{
    if (m_config.database.isEmpty()) {
        LocalCluster::Options options;
        options.directory = dataDirectory(m_config.dataDir) + QStringLiteral("/postgres");
        m_localCluster = std::make_unique<LocalCluster>(options);
        if (Error e = m_localCluster->start())
            return e;
        if (Error e = m_localCluster->ensureDatabase(QStringLiteral("hubsync")))
            return e;
        m_conninfo = m_localCluster->conninfo(QStringLiteral("hubsync"));
    } else {
        m_conninfo = m_config.database;
    }
    pg::Connection connection;
    if (Error e = connection.open(m_conninfo))
        return e;
    Migrator migrator(connection, m_config.schema);
    return migrator.migrate(builtinMigrations());
}

void Engine::start()
{
    setStatus(EngineStatus::State::Starting, QStringLiteral("opening the database"));
    if (Error e = openDatabase()) {
        setStatus(EngineStatus::State::Failed, e.message);
        Q_EMIT failed(e);
        return;
    }
    m_status.database = m_localCluster ? QStringLiteral("embedded (%1)").arg(m_localCluster->socketDirectory())
                                        : QStringLiteral("external");
    setStatus(EngineStatus::State::Live, QStringLiteral("database ready"));
}

void Engine::stop()
{
    if (m_localCluster) {
        if (Error e = m_localCluster->stop())
            logWarning(QStringLiteral("engine"), e.message);
        m_localCluster.reset();
    }
    setStatus(EngineStatus::State::Stopped, QStringLiteral("stopped"));
    Q_EMIT stopped();
}

void EngineController::ThreadDeleter::operator()(QThread *thread) const
{
    thread->quit();
    thread->wait();
    delete thread;
}

EngineController::EngineController(Config config, QObject *parent)
    : QObject(parent)
    , m_thread(new QThread)
{
    m_thread->setObjectName(QStringLiteral("hubsync-engine"));
    m_engine = new Engine(std::move(config));
    m_engine->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_engine, &QObject::deleteLater);
    connect(m_engine, &Engine::statusChanged, this, &EngineController::statusChanged);
    connect(m_engine, &Engine::progress, this, &EngineController::progress);
    connect(m_engine, &Engine::backfillComplete, this, &EngineController::backfillComplete);
    connect(m_engine, &Engine::failed, this, &EngineController::failed);
    connect(m_engine, &Engine::stopped, this, &EngineController::stopped);
    m_thread->start();
}

EngineController::~EngineController()
{
    // Stop synchronously so the embedded database shuts down before the process exits.
    if (m_thread->isRunning())
        QMetaObject::invokeMethod(m_engine, &Engine::stop, Qt::BlockingQueuedConnection);
}

void EngineController::start() { QMetaObject::invokeMethod(m_engine, &Engine::start, Qt::QueuedConnection); }

void EngineController::stop() { QMetaObject::invokeMethod(m_engine, &Engine::stop, Qt::QueuedConnection); }

} // namespace hubsync
