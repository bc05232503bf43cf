#pragma once

#include "core/config.h"
#include "pgtestinstance.h"
#include "simulatorprocess.h"
#include "store/deliverylog.h"
#include "store/pg.h"
#include "sync/api.h"
#include "sync/poller.h"
#include "sync/webhookapplier.h"
#include "webhooks/receiver.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <memory>

namespace hubsync::test {

// Everything live sync runs on, in-process: a database already migrated, the GitHub API client, the
// webhook receiver on a loopback port, the applier and the poller (started by the test when needed).
struct LiveSync {
    pg::Connection db;
    std::unique_ptr<sync::Api> api;
    std::unique_ptr<DeliveryLog> log;
    std::unique_ptr<webhooks::WebhookReceiver> receiver;
    std::unique_ptr<sync::WebhookApplier> applier;
    std::unique_ptr<sync::Poller> poller;
    QByteArray secret = "webhook-test-secret";
    // The installation the applier takes events from; -1: the config's (0 for a token).
    qint64 installationId = -1;

    // Opens `dsn`, builds the stack against `config` (GitHub side). Returns an error text or empty.
    QString open(const QString &dsn, const Config &config);
    [[nodiscard]] QString receiverUrl() const;
    // Points `sim`'s webhooks at this receiver (mode: deliver, drop or delay). Error text or empty.
    QString receiveFrom(const SimulatorProcess &sim, const QString &mode = QStringLiteral("deliver")) const;
};

// A database backfilled from `config`'s GitHub, with the live-sync stack open on it and its applier
// started. Error text or empty.
QString startLiveSync(LiveSync &live, const QString &dsn, const Config &config);

// A migrated database of its own for one test case; empty on failure, with the reason in `error`.
QString freshSyncDatabase(const QString &name, QString *error = nullptr);

// Runs one backfill to completion with `config`; returns an error text or empty.
QString runBackfill(const QString &dsn, const Config &config, const QStringList &repos = {});

// Config for the simulator at `apiUrl` with a personal access token.
Config simulatorConfig(const QString &apiUrl, const QString &token);

// One synchronous HTTP exchange with the receiver (or anything on loopback).
struct HttpAnswer {
    int status = 0;
    QByteArray body;
};
HttpAnswer httpPost(const QString &url, const QByteArray &body, const QList<QPair<QByteArray, QByteArray>> &headers);
HttpAnswer httpRequest(const QByteArray &verb, const QString &url, const QByteArray &body = {},
                       const QList<QPair<QByteArray, QByteArray>> &headers = {});

// A table's rows as canonical JSON text (sorted by key), without the columns in `ignore`; for equality
// checks between two databases.
QStringList tableRows(pg::Connection &db, const QString &table, const QString &key, const QStringList &ignore,
                      const QString &where = {});

} // namespace hubsync::test
