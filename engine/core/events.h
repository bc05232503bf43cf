#pragma once

#include "core/errors.h"

#include <QMetaType>
#include <QString>
#include <QStringList>

namespace hubsync {

// Value types the engine publishes to the UI and the service. They cross threads by queued signals,
// so they are plain copyable data.

struct EngineStatus {
    enum class State { Stopped, Starting, Backfilling, Live, Failed };
    State state = State::Stopped;
    QString database;               // conninfo with no password, for display
    QString message;                // one human sentence
    QString liveSyncMode;           // "webhooks", "polling" or empty
    QStringList failedRepositories; // owner/name whose backfill failed in live mode (retried with backoff)
};

struct CollectionProgress {
    QString repository; // owner/name
    QString collection; // table name, e.g. "issue"
    qint64 fetched = 0;
    qint64 written = 0;
    qint64 total = -1; // -1 when GitHub does not tell
    double recordsPerSecond = 0;
    qint64 etaSeconds = -1;
    qint64 quotaRemaining = -1;
    qint64 quotaResetEpoch = 0;
    qint64 graphqlRemaining = -1; // GitHub's GraphQL pool (points), separate from REST's
    qint64 graphqlResetEpoch = 0;
    bool done = false;
};

// How a client reaches a PostgreSQL server (the database itself, or HubSync's proxy in front of it).
struct DatabaseEndpoint {
    QString host; // host name, IP address, or Unix socket directory
    int port = 5432;
    QString database;
    QString user;
    QString password;      // empty for the embedded cluster (peer/trust over a private socket)
    QString serverVersion; // "15.8", once the engine is connected (empty otherwise)
    [[nodiscard]] bool isValid() const { return !host.isEmpty() && !database.isEmpty(); }
};

struct RepositoryInfo {
    qint64 id = 0;
    QString fullName;
    QString description;
    bool isPrivate = false;
    qint64 openIssues = 0;
    qint64 syncedRecords = 0;
    // False for a repository the credentials can see that HubSync does not sync (never chosen, or
    // taken out of the selection; its rows may still be kept).
    bool synced = true;
};

// Something live sync did after the backfill: a webhook delivery applied, or a polling cycle.
struct LiveSyncEvent {
    enum class Source { Webhook, Poll };
    Source source = Source::Webhook;
    QString summary; // one line, e.g. "issues applied" or "poll cycle: 12 requests (12 not modified)"
    qint64 atMs = 0; // wall clock (ms since the epoch) when it happened
    bool failed = false;
};

struct BackfillSummary {
    qint64 records = 0;
    double seconds = 0;
    int repositories = 0;
};

QString stateName(EngineStatus::State state);

} // namespace hubsync

Q_DECLARE_METATYPE(hubsync::EngineStatus)
Q_DECLARE_METATYPE(hubsync::CollectionProgress)
Q_DECLARE_METATYPE(hubsync::BackfillSummary)
Q_DECLARE_METATYPE(hubsync::Error)
Q_DECLARE_METATYPE(hubsync::DatabaseEndpoint)
Q_DECLARE_METATYPE(hubsync::RepositoryInfo)
Q_DECLARE_METATYPE(hubsync::LiveSyncEvent)
