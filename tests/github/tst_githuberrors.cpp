// Error mapping and rate-limit classification, from responses GitHub really sent.

#include "github/errormapping.h"
#include "github/ratelimit.h"
#include "recordedhttp.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace hubsync;
using namespace hubsync::github;
using hubsync::test::RecordedExchange;

Q_DECLARE_METATYPE(hubsync::Error::Kind)

namespace {

// The first exchange of a recording with the given status.
RecordedExchange recorded(const QString &file, int status, QString *error) {
    const QList<RecordedExchange> all = file.startsWith(QLatin1String("rest/github3py/"))
                                            ? test::loadCassette(file, error)
                                            : test::loadNock(file, error);
    for (const RecordedExchange &x : all) {
        if (x.status == status)
            return x;
    }
    if (error->isEmpty())
        *error = QStringLiteral("no HTTP %1 in %2").arg(status).arg(file);
    return {};
}

QString recordedMessage(const RecordedExchange &x) {
    return QJsonDocument::fromJson(x.body).object().value(QLatin1String("message")).toString();
}

} // namespace

class TestGitHubErrors : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void recordedErrors_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("status");
        QTest::addColumn<Error::Kind>("kind");
        using K = Error::Kind;
        QTest::newRow("422 errors[] (octokit)") << QStringLiteral("rest/errors.json") << 422 << K::GitHubValidation;
        QTest::newRow("422 errors[] (raw)") << QStringLiteral("rest/raw/errors.json") << 422 << K::GitHubValidation;
        QTest::newRow("422 release asset exists")
            << QStringLiteral("rest/release-assets-conflict.json") << 422 << K::GitHubValidation;
        QTest::newRow("422 without errors[]")
            << QStringLiteral("rest/github3py/Issue_edit_both_assignee_and_assignees.json") << 422
            << K::GitHubValidation;
        QTest::newRow("422 empty committer")
            << QStringLiteral("rest/github3py/Repository_create_commit_with_empty_committer.json") << 422
            << K::GitHubValidation;
        QTest::newRow("403 integration") << QStringLiteral("rest/github3py/CheckApp_create_check_run.json") << 403
                                         << K::GitHubPermission;
        QTest::newRow("403 publicize") << QStringLiteral("rest/github3py/Organization_publicize_member.json") << 403
                                       << K::GitHubPermission;
        QTest::newRow("404 blocking") << QStringLiteral("rest/github3py/GitHub_is_blocking.json") << 404
                                      << K::GitHubNotFound;
        QTest::newRow("404 gist star") << QStringLiteral("rest/github3py/Gist_is_starred.json") << 404
                                       << K::GitHubNotFound;
        QTest::newRow("404 branch protection")
            << QStringLiteral("rest/branch-protection.json") << 404 << K::GitHubNotFound;
        QTest::newRow("204 no error") << QStringLiteral("rest/lock-issue.json") << 204 << K::None;
        QTest::newRow("304 no error") << QStringLiteral("rest/github3py/Branch_latest_sha.json") << 304 << K::None;
    }

    void recordedErrors() {
        QFETCH(QString, file);
        QFETCH(int, status);
        QFETCH(Error::Kind, kind);
        QString loadError;
        const RecordedExchange x = recorded(file, status, &loadError);
        QVERIFY2(loadError.isEmpty(), qPrintable(loadError));

        const Error e = mapHttpError(x.status, x.body);
        QCOMPARE(e.kind, kind);
        if (kind == Error::Kind::None)
            return;
        QCOMPARE(e.httpStatus, status);
        const QString message = recordedMessage(x);
        if (!message.isEmpty())
            QCOMPARE(e.message, message); // GitHub's own words reach the user
        else
            QVERIFY(!e.message.isEmpty());
        const QJsonArray errors = QJsonDocument::fromJson(x.body).object().value(QLatin1String("errors")).toArray();
        if (status == 422 && !errors.isEmpty()) {
            const QJsonArray detail = QJsonDocument::fromJson(e.detail.toUtf8()).array();
            QCOMPARE(detail, errors);
        }
        // None of these real errors is a rate limit: the recordings had quota left.
        QCOMPARE(classifyLimit(x.status, x.headers, x.body, 0, 60'000).kind, LimitKind::None);
    }

    void recordedRateLimitHeaders() {
        QString error;
        const QList<RecordedExchange> all = test::loadNock(QStringLiteral("rest/raw/paginate-issues.json"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(!all.isEmpty());
        for (const RecordedExchange &x : all) {
            const RateLimit r = parseRateLimit(x.headers);
            QCOMPARE(r.resource, QString::fromLatin1(headerValue(x.headers, "X-RateLimit-Resource")));
            QCOMPARE(r.limit, headerValue(x.headers, "x-ratelimit-limit").toLongLong());
            QCOMPARE(r.remaining, headerValue(x.headers, "X-RATELIMIT-REMAINING").toLongLong());
            QCOMPARE(r.used, headerValue(x.headers, "x-ratelimit-used").toLongLong());
            QCOMPARE(r.resetEpoch, headerValue(x.headers, "x-ratelimit-reset").toLongLong());
            QVERIFY(r.isKnown());
            QCOMPARE(r.limit, r.remaining + r.used); // GitHub's own arithmetic holds
        }
    }

    void syntheticStatuses_data() {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<Error::Kind>("kind");
        QTest::addColumn<QString>("message");
        using K = Error::Kind;
        QTest::newRow("401") << 401 << QByteArray(R"({"message":"Bad credentials"})") << K::GitHubAuth
                             << QStringLiteral("Bad credentials");
        QTest::newRow("401 no body") << 401 << QByteArray() << K::GitHubAuth << QStringLiteral("Bad credentials");
        QTest::newRow("410") << 410 << QByteArray(R"({"message":"Issues are disabled for this repo"})") << K::GitHubGone
                             << QStringLiteral("Issues are disabled for this repo");
        QTest::newRow("502") << 502 << QByteArray("<html>bad gateway</html>") << K::GitHubUnavailable
                             << QStringLiteral("GitHub answered HTTP 502");
        QTest::newRow("409 empty repo") << 409 << QByteArray(R"({"message":"Git Repository is empty."})")
                                        << K::GitHubValidation << QStringLiteral("Git Repository is empty.");
        QTest::newRow("html 404") << 404 << QByteArray("<!DOCTYPE html>") << K::GitHubNotFound
                                  << QStringLiteral("Not Found");
        QTest::newRow("json array body") << 403 << QByteArray("[1,2]") << K::GitHubPermission
                                         << QStringLiteral("Forbidden");
    }

    void syntheticStatuses() {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(Error::Kind, kind);
        QFETCH(QString, message);
        const Error e = mapHttpError(status, body);
        QCOMPARE(e.kind, kind);
        QCOMPARE(e.message, message);
        QCOMPARE(e.httpStatus, status);
    }

    void limits_data() {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("headers"); // "Name: value" lines
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("kind");
        QTest::addColumn<qint64>("waitMs"); // from now = 1'700'000'000'000
        const QByteArray secondary =
            R"({"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})";
        const QByteArray primary = R"({"message":"API rate limit exceeded for installation ID 1."})";
        QTest::newRow("primary 403 until reset+1s")
            << 403 << QByteArray("X-RateLimit-Remaining: 0\nX-RateLimit-Reset: 1700000100") << primary
            << int(LimitKind::Primary) << qint64(101'000);
        QTest::newRow("primary 429") << 429 << QByteArray("x-ratelimit-remaining: 0\nx-ratelimit-reset: 1700000010")
                                     << primary << int(LimitKind::Primary) << qint64(11'000);
        QTest::newRow("secondary without Retry-After") << 403 << QByteArray("X-RateLimit-Remaining: 4000") << secondary
                                                       << int(LimitKind::Secondary) << qint64(60'000);
        QTest::newRow("secondary with Retry-After")
            << 403 << QByteArray("Retry-After: 30") << secondary << int(LimitKind::Secondary) << qint64(30'000);
        QTest::newRow("429 Retry-After only")
            << 429 << QByteArray("Retry-After: 5") << QByteArray() << int(LimitKind::Secondary) << qint64(5'000);
        QTest::newRow("429 bare") << 429 << QByteArray() << QByteArray() << int(LimitKind::Secondary) << qint64(60'000);
        QTest::newRow("Retry-After http-date")
            << 403 << QByteArray("Retry-After: Tue, 14 Nov 2023 22:14:20 GMT") << secondary << int(LimitKind::Secondary)
            << qint64(60'000); // 1700000060 s; now is 1700000000 s
        QTest::newRow("old abuse message")
            << 403 << QByteArray() << QByteArray(R"({"message":"You have triggered an abuse detection mechanism."})")
            << int(LimitKind::Secondary) << qint64(60'000);
        QTest::newRow("plain permission 403") << 403 << QByteArray("X-RateLimit-Remaining: 4999")
                                              << QByteArray(R"({"message":"Resource not accessible by integration"})")
                                              << int(LimitKind::None) << qint64(0);
        QTest::newRow("200 with 0 remaining is no error")
            << 200 << QByteArray("X-RateLimit-Remaining: 0") << QByteArray("[]") << int(LimitKind::None) << qint64(0);
        QTest::newRow("hostile Retry-After") << 429 << QByteArray("Retry-After: 99999999999999999999999")
                                             << QByteArray() << int(LimitKind::Secondary) << qint64(60'000);
    }

    void limits() {
        QFETCH(int, status);
        QFETCH(QByteArray, headers);
        QFETCH(QByteArray, body);
        QFETCH(int, kind);
        QFETCH(qint64, waitMs);
        RawHeaders raw;
        for (const QByteArray &line : headers.split('\n')) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0)
                raw.append({line.left(colon), line.mid(colon + 1).trimmed()});
        }
        const qint64 now = 1'700'000'000'000;
        const LimitVerdict v = classifyLimit(status, raw, body, now, 60'000);
        QCOMPARE(int(v.kind), kind);
        if (v.kind == LimitKind::None)
            return;
        QCOMPARE(v.waitUntilMs - now, waitMs);
    }

    void graphqlErrors_data() {
        QTest::addColumn<QByteArray>("errors");
        QTest::addColumn<Error::Kind>("kind");
        QTest::addColumn<bool>("rateLimited");
        using K = Error::Kind;
        QTest::newRow("not found")
            << QByteArray(
                   R"([{"type":"NOT_FOUND","path":["repository"],"message":"Could not resolve to a Repository with the name o/r."}])")
            << K::GitHubNotFound << false;
        QTest::newRow("forbidden")
            << QByteArray(R"([{"type":"FORBIDDEN","message":"Resource not accessible by integration"}])")
            << K::GitHubPermission << false;
        QTest::newRow("rate limited") << QByteArray(R"([{"type":"RATE_LIMITED","message":"API rate limit exceeded"}])")
                                      << K::GitHubRateLimited << true;
        QTest::newRow("parse error, no type")
            << QByteArray(R"([{"message":"Parse error on RCURLY at [1, 2]","locations":[{"line":1,"column":2}]}])")
            << K::GitHubValidation << false;
        QTest::newRow("empty") << QByteArray("[]") << K::None << false;
    }

    void graphqlErrors() {
        QFETCH(QByteArray, errors);
        QFETCH(Error::Kind, kind);
        QFETCH(bool, rateLimited);
        const QJsonArray array = QJsonDocument::fromJson(errors).array();
        const Error e = mapGraphqlErrors(array);
        QCOMPARE(e.kind, kind);
        QCOMPARE(isGraphqlRateLimited(array), rateLimited);
        if (!array.isEmpty())
            QCOMPARE(e.message, array.first().toObject().value(QLatin1String("message")).toString());
    }
};

QTEST_GUILESS_MAIN(TestGitHubErrors)
#include "tst_githuberrors.moc"
