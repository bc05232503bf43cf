#include "catalog/rowwriter.h"
#include "livesyncfixture.h"
#include "webhooks/redelivery.h"
#include "webhooks/signature.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>
#include <QUuid>

using namespace hubsync;
using namespace hubsync::test;

namespace {

const QString token = QStringLiteral("ghp_livesynctest0123456789");
const QString repo = QStringLiteral("octo-org/repo-0");

QList<QPair<QByteArray, QByteArray>> deliveryHeaders(const QByteArray &event, const QByteArray &body,
                                                     const QByteArray &secret, const QByteArray &id = {}) {
    return {{"X-GitHub-Event", event},
            {"X-GitHub-Delivery", id.isEmpty() ? QUuid::createUuid().toByteArray(QUuid::WithoutBraces) : id},
            {"X-Hub-Signature-256", webhooks::signatureFor(body, secret)}};
}

QJsonObject fixture(const QString &relative) {
    QFile file(qEnvironmentVariable("HUBSYNC_FIXTURES") + QStringLiteral("/webhooks/") + relative);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

} // namespace

// Live sync end to end: the simulator sends real signed webhooks to the real receiver, the applier
// writes them into a real PostgreSQL; the ground truth is a fresh backfill from the simulator's REST API.
class TestLiveSync : public QObject {
    Q_OBJECT
private:
    SimulatorProcess m_sim;

    SimulatorProcess::Response sim(const QByteArray &verb, const QString &path, const QJsonObject &body = {}) {
        return m_sim.request(verb, path, {}, body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson());
    }

    // Waits until every webhook the simulator sent has been applied (or found not applicable).
    static bool drained(LiveSync &live, SimulatorProcess &simulator) {
        return QTest::qWaitFor(
            [&] {
                const qint64 sent = simulator.request("GET", QStringLiteral("/_sim/counters"))
                                        .json()
                                        .object()
                                        .value(QStringLiteral("webhooks_sent"))
                                        .toInteger();
                const pg::Result r = live.db.exec(QStringLiteral(
                    "SELECT count(*) FILTER (WHERE processed_at IS NOT NULL), count(*) FROM hubsync.webhook_delivery"));
                return r.toInt(0, 1) >= sent && r.toInt(0, 0) == r.toInt(0, 1) && !live.applier->isBusy();
            },
            30000);
    }

    static QString failures(pg::Connection &db) {
        const pg::Result r = db.exec(QStringLiteral(
            "SELECT string_agg(event || '.' || coalesce(action, '') || ': ' || coalesce(error, ''), '; ')"
            " FROM hubsync.webhook_delivery WHERE outcome = 'failed'"));
        return r.text(0, 0);
    }

    // Compares two databases table by table (typed columns; raw payloads differ between list and event
    // shapes by design) and reports the first rows that differ.
    static QString compareDatabases(pg::Connection &live, pg::Connection &truth) {
        struct Table {
            QString name, key;
            QStringList ignore;
        };
        const QList<Table> tables = {
            // Counters that GitHub changes without any event (open issues, pushes, stars) are polled.
            {QStringLiteral("repository"),
             QStringLiteral("id"),
             {QStringLiteral("open_issues_count"), QStringLiteral("updated_at"), QStringLiteral("pushed_at"),
              QStringLiteral("stargazers_count"), QStringLiteral("watchers_count"), QStringLiteral("size")}},
            {QStringLiteral("issue"), QStringLiteral("id"), {}},
            {QStringLiteral("pull_request"), QStringLiteral("id"), {}},
            {QStringLiteral("comment"), QStringLiteral("id"), {}},
            {QStringLiteral("label"), QStringLiteral("id"), {}},
            {QStringLiteral("issue_label"), QStringLiteral("issue_id, label_id"), {}},
            {QStringLiteral("pull_request_label"), QStringLiteral("pull_request_id, label_id"), {}},
            {QStringLiteral("release"), QStringLiteral("id"), {}},
            {QStringLiteral("ref"), QStringLiteral("repository_id, name"), {}},
            {QStringLiteral("commit"), QStringLiteral("sha"), {}},
            {QStringLiteral("discussion"), QStringLiteral("id"), {}},
            {QStringLiteral("discussion_comment"), QStringLiteral("id"), {}},
            {QStringLiteral("reaction"), QStringLiteral("id"), {}},
        };
        QString report;
        for (const Table &t : tables) {
            const QStringList a = tableRows(live, t.name, t.key, t.ignore);
            const QStringList b = tableRows(truth, t.name, t.key, t.ignore);
            if (a == b)
                continue;
            const QSet<QString> sa(a.cbegin(), a.cend()), sb(b.cbegin(), b.cend());
            QStringList onlyLive = QSet<QString>(sa).subtract(sb).values();
            QStringList onlyTruth = QSet<QString>(sb).subtract(sa).values();
            onlyLive.sort();
            onlyTruth.sort();
            report += QStringLiteral("\n%1: %2 rows live, %3 from the API\n  live only: %4\n  API only:  %5")
                          .arg(t.name)
                          .arg(a.size())
                          .arg(b.size())
                          .arg(onlyLive.mid(0, 2).join(QStringLiteral("\n             ")),
                               onlyTruth.mid(0, 2).join(QStringLiteral("\n             ")));
        }
        return report;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFileInfo::exists(SimulatorProcess::binary()), "githubsim was not built");
        QVERIFY2(m_sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"), token}),
                 qPrintable(m_sim.error()));
    }

    // Every kind of change a user makes on GitHub, delivered by webhook only: the tables end up equal to
    // what a fresh backfill reads from the REST API.
    void webhooksKeepTheTablesEqualToTheApi() {
        const QString dsn = freshSyncDatabase(QStringLiteral("webhooks"));
        QVERIFY(!dsn.isEmpty());
        const Config config = simulatorConfig(m_sim.baseUrl(), token);
        LiveSync live;
        QCOMPARE(startLiveSync(live, dsn, config), QString());
        QCOMPARE(live.receiveFrom(m_sim), QString());

        const QString r = QStringLiteral("/_sim/repos/") + repo;
        // Issue numbers that are issues (issues and pull requests share the number space).
        const pg::Result numbers = live.db.exec(
            QStringLiteral("SELECT number FROM github.issue i JOIN github.repository r ON r.id = i.repository_id"
                           " WHERE r.full_name = 'octo-org/repo-0' AND NOT i.locked ORDER BY number LIMIT 4"));
        QCOMPARE(numbers.rows(), 4);
        const QString issue1 = numbers.text(0, 0), issue2 = numbers.text(1, 0), issue3 = numbers.text(2, 0),
                      issue4 = numbers.text(3, 0);
        const auto as = [](QJsonObject body) {
            body.insert(QStringLiteral("as"), QStringLiteral("hubot"));
            return body;
        };
        QCOMPARE(sim("POST", r + QStringLiteral("/issues"),
                     as({{QStringLiteral("title"), QStringLiteral("Made on GitHub")},
                         {QStringLiteral("body"), QStringLiteral("by hubot")},
                         {QStringLiteral("labels"), QJsonArray{QStringLiteral("bug"), QStringLiteral("brand-new")}}}))
                     .status,
                 201);
        QCOMPARE(sim("PATCH", r + QStringLiteral("/issues/") + issue1,
                     as({{QStringLiteral("title"), QStringLiteral("Renamed")},
                         {QStringLiteral("state"), QStringLiteral("closed")}}))
                     .status,
                 200);
        QCOMPARE(sim("PUT", r + QStringLiteral("/issues/%1/lock").arg(issue4), as({})).status, 204);
        const QJsonObject comment = sim("POST", r + QStringLiteral("/issues/%1/comments").arg(issue2),
                                        as({{QStringLiteral("body"), QStringLiteral("first!")}}))
                                        .json()
                                        .object();
        QVERIFY(comment.contains(QStringLiteral("id")));
        const qint64 commentId = comment.value(QStringLiteral("id")).toInteger();
        QCOMPARE(sim("PATCH", r + QStringLiteral("/issues/comments/%1").arg(commentId),
                     as({{QStringLiteral("body"), QStringLiteral("edited")}}))
                     .status,
                 200);
        const qint64 oldComment =
            m_sim.request("GET", QStringLiteral("/repos/%1/issues/comments?per_page=1").arg(repo), token.toUtf8())
                .json()
                .array()
                .first()
                .toObject()
                .value(QStringLiteral("id"))
                .toInteger();
        QCOMPARE(sim("DELETE", r + QStringLiteral("/issues/comments/%1").arg(oldComment), as({})).status, 204);
        QCOMPARE(sim("POST", r + QStringLiteral("/labels"),
                     as({{QStringLiteral("name"), QStringLiteral("from-webhook")},
                         {QStringLiteral("color"), QStringLiteral("ff0000")}}))
                     .status,
                 201);
        QCOMPARE(sim("PATCH", r + QStringLiteral("/labels/from-webhook"),
                     as({{QStringLiteral("color"), QStringLiteral("00ff00")},
                         {QStringLiteral("description"), QStringLiteral("green")}}))
                     .status,
                 200);
        QCOMPARE(sim("DELETE", r + QStringLiteral("/labels/brand-new"), as({})).status, 204);
        const QJsonObject release = sim("POST", r + QStringLiteral("/releases"),
                                        as({{QStringLiteral("tag_name"), QStringLiteral("v99.0")},
                                            {QStringLiteral("name"), QStringLiteral("Ninety-nine")}}))
                                        .json()
                                        .object();
        QVERIFY(release.contains(QStringLiteral("id")));
        QCOMPARE(sim("PATCH", r + QStringLiteral("/releases/%1").arg(release.value(QStringLiteral("id")).toInteger()),
                     as({{QStringLiteral("body"), QStringLiteral("notes")}}))
                     .status,
                 200);
        const QString sha =
            live.db
                .exec(QStringLiteral("SELECT sha FROM github.ref WHERE name = 'refs/heads/main' AND"
                                     " repository_id = (SELECT id FROM github.repository WHERE full_name"
                                     " = 'octo-org/repo-0')"))
                .text(0, 0);
        QVERIFY(!sha.isEmpty());
        QCOMPARE(
            sim("POST", r + QStringLiteral("/git/refs"),
                as({{QStringLiteral("ref"), QStringLiteral("refs/heads/feature-x")}, {QStringLiteral("sha"), sha}}))
                .status,
            201);
        QCOMPARE(
            sim("POST", r + QStringLiteral("/pulls"), as({{QStringLiteral("title"), QStringLiteral("A pull request")}}))
                .status,
            201);
        QCOMPARE(sim("POST", r + QStringLiteral("/discussions"),
                     as({{QStringLiteral("title"), QStringLiteral("Let's talk")},
                         {QStringLiteral("body"), QStringLiteral("about webhooks")},
                         {QStringLiteral("category"), 0}}))
                     .status,
                 201);
        QCOMPARE(sim("DELETE", r + QStringLiteral("/issues/") + issue3, as({})).status, 204);

        QVERIFY2(drained(live, m_sim), "webhooks were not all applied");
        QCOMPARE(failures(live.db), QString());

        const QString truthDsn = freshSyncDatabase(QStringLiteral("truth"));
        QCOMPARE(runBackfill(truthDsn, config), QString());
        pg::Connection truth;
        QVERIFY(!truth.open(truthDsn));
        const QString differences = compareDatabases(live.db, truth);
        if (!differences.isEmpty()) {
            qWarning().noquote() << differences;
            const pg::Result d = live.db.exec(QStringLiteral("SELECT event || '.' || coalesce(action, '') || ' ' || "
                                                             "coalesce(outcome, '') || ' ' || coalesce(error, '')"
                                                             " FROM hubsync.webhook_delivery ORDER BY seq"));
            for (int i = 0; i < d.rows(); ++i)
                qWarning().noquote() << "delivery:" << d.text(i, 0);
        }
        QVERIFY2(differences.isEmpty(), "the tables differ from the API (see above)");
        PgTestInstance::shared().dropDatabase(truthDsn);
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // The receiver in front of everything: what GitHub would never send is refused and changes nothing.
    void receiverRefusesForgeriesAndReplays() {
        const QString dsn = freshSyncDatabase(QStringLiteral("receiver"));
        QVERIFY(!dsn.isEmpty());
        LiveSync live;
        QCOMPARE(live.open(dsn, simulatorConfig(m_sim.baseUrl(), token)), QString());
        const QString url = live.receiverUrl();
        const QByteArray body = R"({"action":"created","zen":"Keep it logically awesome."})";
        const auto stored = [&] {
            return live.db.exec(QStringLiteral("SELECT count(*) FROM hubsync.webhook_delivery")).toInt(0, 0);
        };

        QCOMPARE(httpRequest("GET", url + QStringLiteral("health")).status, 200);
        QCOMPARE(httpRequest("PUT", url, body).status, 405);

        auto forged = deliveryHeaders("ping", body, "not-the-secret");
        QCOMPARE(httpPost(url, body, forged).status, 401);
        auto unsigned_ = deliveryHeaders("ping", body, live.secret);
        unsigned_.removeLast();
        QCOMPARE(httpPost(url, body, unsigned_).status, 401);
        QCOMPARE(stored(), 0);

        const QByteArray bad = "{not json";
        QCOMPARE(httpPost(url, bad, deliveryHeaders("issues", bad, live.secret)).status, 400);
        auto noEvent = deliveryHeaders("ping", body, live.secret);
        noEvent.removeFirst();
        QCOMPARE(httpPost(url, body, noEvent).status, 400);
        auto badId = deliveryHeaders("ping", body, live.secret, "'; DROP TABLE x; --");
        QCOMPARE(httpPost(url, body, badId).status, 400);
        QCOMPARE(stored(), 0);

        const QByteArray id = QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
        QCOMPARE(httpPost(url, body, deliveryHeaders("ping", body, live.secret, id)).status, 202);
        QCOMPARE(httpPost(url, body, deliveryHeaders("ping", body, live.secret, id)).status, 200); // replayed
        QCOMPARE(stored(), 1);
        QCOMPARE(live.receiver->stats().accepted, 1);
        QCOMPARE(live.receiver->stats().duplicates, 1);
        QCOMPARE(live.receiver->stats().badSignature, 2);

        // Form-encoded deliveries (a hook configured with content type "form") are accepted too.
        const QByteArray form = "payload=" + QUrl::toPercentEncoding(QString::fromLatin1(body));
        auto formHeaders = deliveryHeaders("ping", form, live.secret);
        formHeaders << qMakePair(QByteArray("Content-Type"), QByteArray("application/x-www-form-urlencoded"));
        QCOMPARE(httpPost(url, form, formHeaders).status, 202);

        // The database going away is a 503 GitHub retries, never a lost delivery reported as accepted.
        PgTestInstance::shared().dropDatabase(dsn);
        QCOMPARE(httpPost(url, body, deliveryHeaders("ping", body, live.secret)).status, 503);
    }

    // Deliveries overtaking each other: the newer updated_at wins, and a deleted row stays deleted.
    void outOfOrderDeliveriesDoNotRegress() {
        const QString dsn = freshSyncDatabase(QStringLiteral("reorder"));
        QVERIFY(!dsn.isEmpty());
        LiveSync live;
        QCOMPARE(live.open(dsn, simulatorConfig(m_sim.baseUrl(), token)), QString());
        QJsonObject payload = fixture(QStringLiteral("issues/edited.json"));
        QVERIFY(!payload.isEmpty());
        catalog::RowWriter writer(live.db, QStringLiteral("github"));
        QVERIFY(!writer.upsert(*catalog::findCollection(QStringLiteral("repository")),
                               {payload.value(QStringLiteral("repository")).toObject()}, catalog::MapContext{}));
        live.applier->start();
        const auto deliver = [&](const QString &action, const QString &title, const QString &updatedAt) {
            QJsonObject p = payload;
            QJsonObject issue = p.value(QStringLiteral("issue")).toObject();
            issue.insert(QStringLiteral("title"), title);
            issue.insert(QStringLiteral("updated_at"), updatedAt);
            p.insert(QStringLiteral("issue"), issue);
            p.insert(QStringLiteral("action"), action);
            const QByteArray body = QJsonDocument(p).toJson(QJsonDocument::Compact);
            QSignalSpy applied(live.applier.get(), &sync::WebhookApplier::deliveryApplied);
            const int status = httpPost(live.receiverUrl(), body, deliveryHeaders("issues", body, live.secret)).status;
            return status == 202 && (!applied.isEmpty() || applied.wait(10000)) &&
                   applied.first().at(2).toString() == QStringLiteral("applied");
        };
        const qint64 id = payload.value(QStringLiteral("issue")).toObject().value(QStringLiteral("id")).toInteger();
        const auto title = [&] {
            return live.db.execParams(QStringLiteral("SELECT title FROM github.issue WHERE id = $1"), {pg::param(id)});
        };
        QVERIFY(deliver(QStringLiteral("edited"), QStringLiteral("newer"), QStringLiteral("2030-01-02T00:00:00Z")));
        QVERIFY(deliver(QStringLiteral("opened"), QStringLiteral("older"), QStringLiteral("2030-01-01T00:00:00Z")));
        QCOMPARE(title().text(0, 0), QStringLiteral("newer"));
        QVERIFY(deliver(QStringLiteral("edited"), QStringLiteral("same second, later"),
                        QStringLiteral("2030-01-02T00:00:00Z")));
        QCOMPARE(title().text(0, 0), QStringLiteral("same second, later"));
        QVERIFY(deliver(QStringLiteral("deleted"), QStringLiteral("gone"), QStringLiteral("2030-01-03T00:00:00Z")));
        QCOMPARE(title().rows(), 0);
        QVERIFY(deliver(QStringLiteral("edited"), QStringLiteral("zombie"), QStringLiteral("2030-01-02T12:00:00Z")));
        QCOMPARE(title().rows(), 0);
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // Every payload GitHub documents for the events we sync is applied without failure, and the row it
    // describes is there afterwards (or gone, for deletions).
    void everyFixturePayloadApplies() {
        const QString dsn = freshSyncDatabase(QStringLiteral("fixtures"));
        QVERIFY(!dsn.isEmpty());
        LiveSync live;
        QCOMPARE(live.open(dsn, simulatorConfig(m_sim.baseUrl(), token)), QString());
        live.applier->start();
        catalog::RowWriter writer(live.db, QStringLiteral("github"));
        const QDir root(qEnvironmentVariable("HUBSYNC_FIXTURES") + QStringLiteral("/webhooks"));
        const QStringList events = root.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QVERIFY(events.contains(QStringLiteral("issues")));
        int checked = 0;
        QStringList problems;
        for (const QString &event : events) {
            for (const QString &file : QDir(root.filePath(event)).entryList({QStringLiteral("*.json")})) {
                const QJsonObject payload = fixture(event + QLatin1Char('/') + file);
                // Each file stands alone: the fixtures reuse ids across actions (deleted, then edited).
                live.db.exec(QStringLiteral("DELETE FROM hubsync.tombstone"));
                const QJsonObject repository = payload.value(QStringLiteral("repository")).toObject();
                // The repository is synced (as after a backfill), so the event is not ignored for that.
                if (!repository.isEmpty() && event != QStringLiteral("push")) {
                    if (Error e = writer.upsert(*catalog::findCollection(QStringLiteral("repository")), {repository},
                                                catalog::MapContext{}))
                        problems << QStringLiteral("%1/%2: repository: %3").arg(event, file, e.message);
                } else if (!repository.isEmpty()) {
                    // push payloads give the repository's dates as epoch seconds; only the id matters here.
                    live.db.execParams(
                        QStringLiteral("INSERT INTO github.repository (id, name, full_name) VALUES ($1, $2, $3)"
                                       " ON CONFLICT DO NOTHING"),
                        {pg::param(repository.value(QStringLiteral("id")).toInteger()),
                         pg::param(repository.value(QStringLiteral("name")).toString()),
                         pg::param(repository.value(QStringLiteral("full_name")).toString())});
                }
                const QByteArray body = QJsonDocument(payload).toJson(QJsonDocument::Compact);
                QSignalSpy applied(live.applier.get(), &sync::WebhookApplier::deliveryApplied);
                const int status =
                    httpPost(live.receiverUrl(), body, deliveryHeaders(event.toLatin1(), body, live.secret)).status;
                if (status != 202 || (applied.isEmpty() && !applied.wait(10000))) {
                    problems << QStringLiteral("%1/%2: HTTP %3, not applied").arg(event, file).arg(status);
                    continue;
                }
                ++checked;
                const QString outcome = applied.first().at(2).toString();
                if (outcome == QStringLiteral("failed"))
                    problems << QStringLiteral("%1/%2: %3").arg(event, file, failures(live.db));
                live.db.exec(
                    QStringLiteral("UPDATE hubsync.webhook_delivery SET outcome = 'checked' WHERE outcome = 'failed'"));
                // The row the event describes.
                const QString action = payload.value(QStringLiteral("action")).toString();
                QString table, key = QStringLiteral("id");
                QJsonObject object;
                if (event == QStringLiteral("issues") &&
                    !payload.value(QStringLiteral("issue")).toObject().contains(QStringLiteral("pull_request")))
                    table = QStringLiteral("issue"), object = payload.value(QStringLiteral("issue")).toObject();
                else if (event == QStringLiteral("pull_request"))
                    table = QStringLiteral("pull_request"),
                    object = payload.value(QStringLiteral("pull_request")).toObject();
                else if (event == QStringLiteral("issue_comment"))
                    table = QStringLiteral("comment"), object = payload.value(QStringLiteral("comment")).toObject();
                else if (event == QStringLiteral("label") || event == QStringLiteral("release"))
                    table = event, object = payload.value(event).toObject();
                // Discussions are re-read through GraphQL (the simulator does not hold the fixtures' ones):
                // covered end to end by webhooksKeepTheTablesEqualToTheApi.
                if (table.isEmpty() || outcome != QStringLiteral("applied"))
                    continue;
                const bool gone = action == QStringLiteral("deleted") || action == QStringLiteral("transferred");
                const int rows =
                    int(live.db
                            .execParams(QStringLiteral("SELECT count(*) FROM github.%1 WHERE id = $1").arg(table),
                                        {pg::param(object.value(key).toInteger())})
                            .toInt(0, 0));
                if (rows != (gone ? 0 : 1))
                    problems << QStringLiteral("%1/%2: %3 %4 has %5 rows")
                                    .arg(event, file, table)
                                    .arg(object.value(key).toInteger())
                                    .arg(rows);
            }
        }
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        QVERIFY2(checked >= 100, qPrintable(QString::number(checked)));
        qInfo("%d fixture payloads applied", checked);
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // Webhooks lost (no public URL, an outage): the polling backstop alone brings the tables in line; an
    // idle poll cycle afterwards costs no API quota at all (every first page answers 304).
    void pollingHealsAWebhookOutage() {
        const QString dsn = freshSyncDatabase(QStringLiteral("polling"));
        QVERIFY(!dsn.isEmpty());
        const Config config = simulatorConfig(m_sim.baseUrl(), token);
        QCOMPARE(runBackfill(dsn, config), QString());
        LiveSync live;
        QCOMPARE(live.open(dsn, config), QString());
        QCOMPARE(
            sim("PUT", QStringLiteral("/_sim/webhooks"), {{QStringLiteral("mode"), QStringLiteral("drop")}}).status,
            200);
        const QString r = QStringLiteral("/_sim/repos/octo-org/repo-1");
        QCOMPARE(sim("PATCH", r + QStringLiteral("/issues/5"),
                     {{QStringLiteral("title"), QStringLiteral("Changed while nobody listened")}})
                     .status,
                 200);
        QCOMPARE(
            sim("POST", r + QStringLiteral("/issues/5/comments"), {{QStringLiteral("body"), QStringLiteral("unheard")}})
                .status,
            201);
        QCOMPARE(sim("POST", r + QStringLiteral("/labels"),
                     {{QStringLiteral("name"), QStringLiteral("polled")},
                      {QStringLiteral("color"), QStringLiteral("123456")}})
                     .status,
                 201);

        QSignalSpy cycle(live.poller.get(), &sync::Poller::cycleFinished);
        live.poller->pollNow();
        QVERIFY(cycle.wait(60000));
        const auto value = [&](const QString &sql) { return live.db.exec(sql).text(0, 0); };
        QCOMPARE(
            value(QStringLiteral("SELECT title FROM github.issue i JOIN github.repository r ON r.id = i.repository_id"
                                 " WHERE r.full_name = 'octo-org/repo-1' AND i.number = 5")),
            QStringLiteral("Changed while nobody listened"));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.comment WHERE body = 'unheard'")),
                 QStringLiteral("1"));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.label WHERE name = 'polled'")), QStringLiteral("1"));

        // The cycle after a change asks from the new `since` once; from then on nothing changes.
        cycle.clear();
        live.poller->pollNow();
        QVERIFY(cycle.wait(60000));
        // Idle: nothing changed on GitHub since the last cycle.
        QCOMPARE(sim("POST", QStringLiteral("/_sim/counters/reset")).status, 200);
        cycle.clear();
        live.poller->pollNow();
        QVERIFY(cycle.wait(60000));
        const auto stats = cycle.first().first().value<sync::PollStats>();
        const QJsonObject counters = sim("GET", QStringLiteral("/_sim/counters")).json().object();
        QVERIFY(stats.requests > 0);
        QCOMPARE(stats.notModified, stats.requests);
        QCOMPARE(stats.written, 0);
        QCOMPARE(counters.value(QStringLiteral("quota_spent")).toInteger(), 0);
        QCOMPARE(
            sim("PUT", QStringLiteral("/_sim/webhooks"), {{QStringLiteral("mode"), QStringLiteral("deliver")}}).status,
            200);
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // A GitHub App installation: deliveries lost while HubSync could not receive them are found through
    // the App's deliveries API and redelivered; installation changes reach the engine as signals.
    void redeliveryAndInstallationEvents() {
        QTemporaryDir dir;
        const QString key = dir.filePath(QStringLiteral("app.pem"));
        SimulatorProcess app;
        QVERIFY2(app.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--app-id"),
                            QStringLiteral("7"), QStringLiteral("--app-key-out"), key,
                            QStringLiteral("--installation-id"), QStringLiteral("42")}),
                 qPrintable(app.error()));
        Config config = simulatorConfig(app.baseUrl(), {});
        config.appId = 7;
        config.appKeyFile = key;
        config.installationId = 42;
        const QString dsn = freshSyncDatabase(QStringLiteral("app"));
        QVERIFY(!dsn.isEmpty());
        QCOMPARE(runBackfill(dsn, config), QString());
        LiveSync live;
        QCOMPARE(live.open(dsn, config), QString());
        live.applier->start();
        const auto control = [&](const QByteArray &verb, const QString &path, const QJsonObject &body) {
            return app.request(verb, path, {}, QJsonDocument(body).toJson()).status;
        };
        QCOMPARE(control("PUT", QStringLiteral("/_sim/webhooks"),
                         {{QStringLiteral("url"), live.receiverUrl()},
                          {QStringLiteral("secret"), QString::fromLatin1(live.secret)},
                          {QStringLiteral("mode"), QStringLiteral("drop")}}),
                 200);
        const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-60);
        QCOMPARE(control("PATCH", QStringLiteral("/_sim/repos/octo-org/repo-0/issues/2"),
                         {{QStringLiteral("title"), QStringLiteral("Changed during the outage")}}),
                 200);
        QCOMPARE(
            control("PUT", QStringLiteral("/_sim/webhooks"), {{QStringLiteral("mode"), QStringLiteral("deliver")}}),
            200);
        QCOMPARE(live.db.exec(QStringLiteral("SELECT count(*) FROM hubsync.webhook_delivery")).toInt(0, 0), 0);

        webhooks::Redeliverer redeliverer(*live.api, *live.log, {});
        QSignalSpy finished(&redeliverer, &webhooks::Redeliverer::finished);
        QSignalSpy failed(&redeliverer, &webhooks::Redeliverer::failed);
        QSignalSpy applied(live.applier.get(), &sync::WebhookApplier::deliveryApplied);
        redeliverer.run(before);
        QVERIFY(QTest::qWaitFor([&] { return !finished.isEmpty() || !failed.isEmpty(); }, 30000));
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().value<Error>().message));
        const auto summary = finished.first().first().value<webhooks::Redeliverer::Summary>();
        QCOMPARE(summary.missed, 1);
        QCOMPARE(summary.redelivered, 1);
        QVERIFY(!applied.isEmpty() || applied.wait(10000));
        QCOMPARE(
            live.db
                .exec(QStringLiteral("SELECT title FROM github.issue i JOIN github.repository r ON"
                                     " r.id = i.repository_id WHERE r.full_name = 'octo-org/repo-0' AND number = 2"))
                .text(0, 0),
            QStringLiteral("Changed during the outage"));
        // Nothing is missed any more: a second run asks for nothing.
        finished.clear();
        redeliverer.run(before);
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.first().first().value<webhooks::Redeliverer::Summary>().missed, 0);

        // A repository taken out of the installation is dropped; granted again, it is announced for a backfill.
        const qint64 repo2 =
            live.db.exec(QStringLiteral("SELECT id FROM github.repository WHERE full_name = 'octo-org/repo-2'"))
                .toInt(0, 0);
        QVERIFY(repo2 > 0);
        QSignalSpy removed(live.applier.get(), &sync::WebhookApplier::repositoriesRemoved);
        QSignalSpy added(live.applier.get(), &sync::WebhookApplier::repositoriesAdded);
        QCOMPARE(control("PUT", QStringLiteral("/_sim/installation/repositories"),
                         {{QStringLiteral("remove"), QJsonArray{QStringLiteral("octo-org/repo-2")}}}),
                 200);
        QVERIFY(!removed.isEmpty() || removed.wait(10000));
        QCOMPARE(removed.first().first().value<QList<qint64>>(), QList<qint64>{repo2});
        QCOMPARE(live.db.exec(QStringLiteral("SELECT count(*) FROM github.issue WHERE repository_id = %1").arg(repo2))
                     .toInt(0, 0),
                 0);
        QCOMPARE(control("PUT", QStringLiteral("/_sim/installation/repositories"),
                         {{QStringLiteral("add"), QJsonArray{QStringLiteral("octo-org/repo-2")}}}),
                 200);
        QVERIFY(!added.isEmpty() || added.wait(10000));
        QCOMPARE(added.first().first().toStringList(), QStringList{QStringLiteral("octo-org/repo-2")});
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // installation.deleted / suspend / unsuspend (GitHub's own payloads) become engine signals, for this
    // sync's installation only: one App installed on several accounts sends every installation's events to
    // the same URL, and a token sync has no installation at all. The others are recorded as ignored.
    void installationLifecycle() {
        const QString dsn = freshSyncDatabase(QStringLiteral("installation"));
        QVERIFY(!dsn.isEmpty());
        LiveSync live;
        live.installationId = 77;
        QCOMPARE(live.open(dsn, simulatorConfig(m_sim.baseUrl(), token)), QString());
        live.applier->start();
        QSignalSpy stopped(live.applier.get(), &sync::WebhookApplier::installationStopped);
        QSignalSpy resumed(live.applier.get(), &sync::WebhookApplier::installationResumed);
        QSignalSpy added(live.applier.get(), &sync::WebhookApplier::repositoriesAdded);
        QSignalSpy removed(live.applier.get(), &sync::WebhookApplier::repositoriesRemoved);
        QSignalSpy outcomes(live.applier.get(), &sync::WebhookApplier::deliveryApplied);
        const auto send = [&](const QByteArray &event, const QString &file, qint64 installation) {
            QJsonObject payload = fixture(QStringLiteral("%1/%2.json").arg(QString::fromLatin1(event), file));
            QJsonObject owner = payload.value(QStringLiteral("installation")).toObject();
            owner.insert(QStringLiteral("id"), installation);
            payload.insert(QStringLiteral("installation"), owner);
            const QByteArray body = QJsonDocument(payload).toJson(QJsonDocument::Compact);
            QVERIFY2(body.size() > 10, qPrintable(file));
            QCOMPARE(httpPost(live.receiverUrl(), body, deliveryHeaders(event, body, live.secret)).status, 202);
        };
        // Another installation's: its uninstall, its suspension, its new repositories and its removed ones.
        send("installation", QStringLiteral("deleted"), 78);
        send("installation", QStringLiteral("suspend"), 78);
        send("installation_repositories", QStringLiteral("added"), 78);
        send("installation_repositories", QStringLiteral("removed"), 78);
        QVERIFY(QTest::qWaitFor([&] { return outcomes.size() == 4; }, 10000));
        for (const QList<QVariant> &outcome : std::as_const(outcomes))
            QCOMPARE(outcome.at(2).toString(), QStringLiteral("ignored"));
        QCOMPARE(live.db
                     .exec(QStringLiteral("SELECT count(*) FROM hubsync.webhook_delivery WHERE outcome = 'ignored'"
                                          " AND error = 'installation 78 is not this sync''s (installation 77)'"))
                     .toInt(0, 0),
                 qint64(4));
        // This installation's.
        for (const QString &action :
             {QStringLiteral("suspend"), QStringLiteral("unsuspend"), QStringLiteral("deleted")})
            send("installation", action, 77);
        QVERIFY(QTest::qWaitFor([&] { return stopped.size() == 2 && resumed.size() == 1; }, 10000));
        QVERIFY(stopped.first().first().toString().contains(QStringLiteral("suspended")));
        QVERIFY(stopped.last().first().toString().contains(QStringLiteral("uninstalled")));
        QCOMPARE(added.size(), 0);
        QCOMPARE(removed.size(), 0);

        // A token sync has no installation: installation events are not about it.
        LiveSync byToken;
        QCOMPARE(byToken.open(dsn, simulatorConfig(m_sim.baseUrl(), token)), QString());
        byToken.applier->start();
        QSignalSpy tokenStopped(byToken.applier.get(), &sync::WebhookApplier::installationStopped);
        QSignalSpy tokenOutcomes(byToken.applier.get(), &sync::WebhookApplier::deliveryApplied);
        QJsonObject payload = fixture(QStringLiteral("installation/deleted.json"));
        const QByteArray body = QJsonDocument(payload).toJson(QJsonDocument::Compact);
        QCOMPARE(httpPost(byToken.receiverUrl(), body, deliveryHeaders("installation", body, byToken.secret)).status,
                 202);
        QVERIFY(QTest::qWaitFor([&] { return !tokenOutcomes.isEmpty(); }, 10000));
        QCOMPARE(tokenOutcomes.first().at(2).toString(), QStringLiteral("ignored"));
        QCOMPARE(tokenStopped.size(), 0);
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // Without webhooks the repository list is polled too: settings changes refresh the row, a new
    // repository is announced for a backfill, one the credentials lost is reported.
    void pollingFollowsTheRepositoryList() {
        SimulatorProcess sim;
        QVERIFY(sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"), token}));
        const QString dsn = freshSyncDatabase(QStringLiteral("repolist"));
        QVERIFY(!dsn.isEmpty());
        const Config config = simulatorConfig(sim.baseUrl(), token);
        QCOMPARE(runBackfill(dsn, config), QString());
        LiveSync live;
        QCOMPARE(live.open(dsn, config), QString());
        QSignalSpy cycle(live.poller.get(), &sync::Poller::cycleFinished);
        QSignalSpy discovered(live.poller.get(), &sync::Poller::repositoriesDiscovered);
        QSignalSpy vanished(live.poller.get(), &sync::Poller::repositoriesVanished);
        live.poller->pollNow();
        QVERIFY(cycle.wait(60000));
        QCOMPARE(discovered.size(), 0);
        QCOMPARE(vanished.size(), 0);

        const auto control = [&](const QByteArray &verb, const QString &path, const QJsonObject &body) {
            return sim.request(verb, path, {}, body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson()).status;
        };
        QCOMPARE(
            control("PATCH", QStringLiteral("/_sim/repos/octo-org/repo-1"), {{QStringLiteral("has_issues"), false}}),
            200);
        QCOMPARE(control("POST", QStringLiteral("/_sim/repos"),
                         {{QStringLiteral("name"), QStringLiteral("fresh")},
                          {QStringLiteral("owner"), QStringLiteral("octo-org")}}),
                 201);
        const qint64 repo2 =
            live.db.exec(QStringLiteral("SELECT id FROM github.repository WHERE full_name = 'octo-org/repo-2'"))
                .toInt(0, 0);
        QCOMPARE(control("DELETE", QStringLiteral("/_sim/repos/octo-org/repo-2"), {}), 204);
        cycle.clear();
        live.poller->pollNow();
        QVERIFY(cycle.wait(60000));
        QCOMPARE(discovered.size(), 1);
        QCOMPARE(discovered.first().first().toStringList(), QStringList{QStringLiteral("octo-org/fresh")});
        QCOMPARE(vanished.size(), 1);
        QCOMPARE(vanished.first().first().value<QList<qint64>>(), QList<qint64>{repo2});
        QCOMPARE(
            live.db.exec(QStringLiteral("SELECT has_issues FROM github.repository WHERE full_name = 'octo-org/repo-1'"))
                .text(0, 0),
            QStringLiteral("f"));
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // The delivery history and tombstones do not grow forever: applied deliveries and tombstones older
    // than a week go, failed ones after 30 days, pending ones never.
    void historyIsPruned() {
        const QString dsn = freshSyncDatabase(QStringLiteral("prune"));
        QVERIFY(!dsn.isEmpty());
        pg::Connection db;
        QVERIFY(!db.open(dsn));
        DeliveryLog log(db);
        // id -> (age in days, outcome; empty = still pending)
        const QList<std::tuple<QString, int, QString>> deliveries{
            {QStringLiteral("old-applied"), 8, QStringLiteral("applied")},
            {QStringLiteral("old-ignored"), 8, QStringLiteral("ignored")},
            {QStringLiteral("recent-applied"), 2, QStringLiteral("applied")},
            {QStringLiteral("failed-10-days"), 10, QStringLiteral("failed")},
            {QStringLiteral("failed-40-days"), 40, QStringLiteral("failed")},
            {QStringLiteral("old-pending"), 60, QString()}};
        for (const auto &[id, days, outcome] : deliveries) {
            DeliveryLog::Enqueued enqueued{};
            QVERIFY(!log.enqueue(id, QStringLiteral("issues"), QStringLiteral("edited"), "{}", &enqueued));
            if (!outcome.isEmpty())
                QVERIFY(!log.markDone(id, outcome));
            QVERIFY(!db.run(QStringLiteral("UPDATE hubsync.webhook_delivery SET received_at = now() -"
                                           " make_interval(days => $2::int) WHERE delivery_id = $1"),
                            {pg::param(id), pg::param(qint64(days))}));
        }
        QVERIFY(!log.addTombstone(QStringLiteral("issue"), QStringLiteral("1")));
        QVERIFY(!log.addTombstone(QStringLiteral("issue"), QStringLiteral("2")));
        QVERIFY(!db.run(QStringLiteral("UPDATE hubsync.tombstone SET deleted_at = now() - interval '8 days'"
                                       " WHERE key = '1'")));

        DeliveryLog::Pruned pruned;
        QVERIFY(!log.prune(&pruned));
        QCOMPARE(pruned.deliveries, 3);
        QCOMPARE(pruned.tombstones, 1);
        QCOMPARE(db.exec(QStringLiteral("SELECT string_agg(delivery_id, ',' ORDER BY delivery_id)"
                                        " FROM hubsync.webhook_delivery"))
                     .text(0, 0),
                 QStringLiteral("failed-10-days,old-pending,recent-applied"));
        bool found = true;
        QVERIFY(!log.hasTombstone(QStringLiteral("issue"), QStringLiteral("1"), &found));
        QVERIFY(!found);
        QVERIFY(!log.hasTombstone(QStringLiteral("issue"), QStringLiteral("2"), &found));
        QVERIFY(found);
        // Nothing left to prune: a second run removes nothing.
        QVERIFY(!log.prune(&pruned));
        QCOMPARE(pruned.deliveries + pruned.tombstones, 0);
        db.close();
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // Reactions send no webhook: an event whose object shows reactions queues it, and the reaction
    // refresh (a backfill of that repository, which only has the reaction step left) reads them.
    void reactionsFollowEvents() {
        const QString dsn = freshSyncDatabase(QStringLiteral("reactions"));
        QVERIFY(!dsn.isEmpty());
        const Config config = simulatorConfig(m_sim.baseUrl(), token);
        LiveSync live;
        QCOMPARE(startLiveSync(live, dsn, config), QString());
        QCOMPARE(live.receiveFrom(m_sim), QString());
        const pg::Result issue = live.db.exec(QStringLiteral(
            "SELECT i.id, i.number FROM github.issue i JOIN github.repository r ON r.id = i.repository_id"
            " WHERE r.full_name = 'octo-org/repo-2' ORDER BY i.number DESC LIMIT 1"));
        QCOMPARE(issue.rows(), 1);
        const QString path = QStringLiteral("/_sim/repos/octo-org/repo-2/issues/") + issue.text(0, 1);
        const auto reactions = [&] {
            return live.db
                .execParams(QStringLiteral("SELECT count(*) FROM github.reaction WHERE subject_type = 'issue' AND"
                                           " subject_id = $1 AND content = 'rocket'"),
                            {pg::param(issue.toInt(0, 0))})
                .toInt(0, 0);
        };
        QCOMPARE(reactions(), 0);
        QCOMPARE(sim("POST", path + QStringLiteral("/reactions"),
                     {{QStringLiteral("content"), QStringLiteral("rocket")},
                      {QStringLiteral("as"), QStringLiteral("hubot")}})
                     .status,
                 201);
        QSignalSpy applied(live.applier.get(), &sync::WebhookApplier::deliveryApplied);
        QCOMPARE(sim("PATCH", path, {{QStringLiteral("title"), QStringLiteral("With a rocket")}}).status, 200);
        QVERIFY(!applied.isEmpty() || applied.wait(10000));
        QCOMPARE(live.db.exec(QStringLiteral("SELECT count(*) FROM hubsync.reaction_todo")).toInt(0, 0), 1);
        QCOMPARE(runBackfill(dsn, config, {QStringLiteral("octo-org/repo-2")}), QString());
        QCOMPARE(reactions(), 1);
        QCOMPARE(live.db.exec(QStringLiteral("SELECT count(*) FROM hubsync.reaction_todo")).toInt(0, 0), 0);
        PgTestInstance::shared().dropDatabase(dsn);
    }
};

QTEST_GUILESS_MAIN(TestLiveSync)
#include "tst_livesync.moc"
