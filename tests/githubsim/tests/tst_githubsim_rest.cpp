// The simulator's REST behaviour: pagination walks, filters, shapes of lists vs single objects, reaction
// rollups, ETag/304, rate limits, auth answers, validation errors, faults, hostile input, determinism.

#include "simclient.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTcpSocket>
#include <QTest>

using namespace hubsync::githubsim;
using namespace hubsync::githubsim::test;

namespace {

constexpr bool sanitized() {
#if defined(__SANITIZE_ADDRESS__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

// VmRSS of this process in KiB, -1 where /proc is not available.
qint64 residentKiB() {
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

} // namespace

class TestGithubsimRest : public QObject {
    Q_OBJECT
private:
    static ServerOptions small(quint64 seed = 7) {
        ServerOptions o;
        o.dataset = *DatasetSpec::named(QStringLiteral("small"));
        o.dataset.seed = seed;
        o.readOnlyTokens << "ghp_readonly";
        o.tokens << "ghp_sandbox";
        return o;
    }

private Q_SLOTS:
    void paginationWalk_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("perPage");
        QTest::addColumn<int>("expected");
        const DatasetSpec s = *DatasetSpec::named(QStringLiteral("small"));
        const int threads = s.issuesPerRepo + s.pullsPerRepo;
        const struct {
            const char *path;
            int count;
        } lists[] = {
            {"/repos/octo-org/repo-1/issues?state=all", threads},
            {"/repos/octo-org/repo-1/issues?state=all&sort=updated&direction=asc", threads},
            {"/repos/octo-org/repo-1/pulls?state=all", s.pullsPerRepo},
            {"/repos/octo-org/repo-1/issues/comments", threads * s.commentsPerIssue},
            {"/repos/octo-org/repo-1/issues/comments?sort=updated&direction=asc", threads * s.commentsPerIssue},
            {"/repos/octo-org/repo-1/commits", s.commitsPerRepo},
            {"/repos/octo-org/repo-1/releases", s.releasesPerRepo},
            {"/repos/octo-org/repo-1/labels", s.labelsPerRepo},
            {"/repos/octo-org/repo-1/git/refs", s.branchesPerRepo + s.releasesPerRepo},
            {"/repos/octo-org/repo-1/branches", s.branchesPerRepo},
            {"/repos/octo-org/repo-1/tags", s.releasesPerRepo},
            {"/user/repos", s.repos},
            {"/orgs/octo-org/repos", s.repos}};
        for (const auto &l : lists)
            for (const int perPage : {1, 7, 0, 100, 500})
                QTest::addRow("%s per_page=%d", l.path, perPage) << QString::fromLatin1(l.path) << perPage << l.count;
    }
    void paginationWalk() {
        QFETCH(QString, path);
        QFETCH(int, perPage);
        QFETCH(int, expected);
        SimClient sim(small());
        QVERIFY(sim.ok());
        const QString first =
            perPage == 0 ? path
                         : path + (path.contains(QLatin1Char('?')) ? QStringLiteral("&") : QStringLiteral("?")) +
                               QStringLiteral("per_page=%1").arg(perPage);
        const int effective = perPage == 0 ? 30 : qMin(perPage, 100);
        QString next = first;
        QSet<QString> seen;
        int page = 0;
        const int pages = qMax(1, (expected + effective - 1) / effective);
        while (!next.isEmpty()) {
            const Reply r = sim.get(next);
            QCOMPARE(r.status, 200);
            ++page;
            QVERIFY(!r.header("ETag").isEmpty());
            QCOMPARE(r.header("Content-Type"), QByteArray("application/json; charset=utf-8"));
            const QJsonArray items = r.array();
            QCOMPARE(items.size(), page < pages ? effective : expected - effective * (pages - 1));
            for (const QJsonValue &v : items) {
                const QJsonObject o = v.toObject();
                const QString key = o.contains(QStringLiteral("id"))
                                        ? QString::number(o.value(QStringLiteral("id")).toInteger())
                                        : o.value(QStringLiteral("sha")).toString() +
                                              o.value(QStringLiteral("ref")).toString() +
                                              o.value(QStringLiteral("name")).toString();
                QVERIFY2(!seen.contains(key), qPrintable(key));
                seen.insert(key);
            }
            // GitHub's Link: rels in the order prev, next, last, first; absent when one page.
            QStringList rels;
            static const QRegularExpression rel(QStringLiteral(R"re(<([^>]*)>; rel="(\w+)")re"));
            for (auto it = rel.globalMatch(QString::fromUtf8(r.header("Link"))); it.hasNext();) {
                const auto m = it.next();
                rels << m.captured(2);
                QVERIFY(m.captured(1).startsWith(sim.base() + QStringLiteral("/")));
                const int linked = QUrlQuery(QUrl(m.captured(1))).queryItemValue(QStringLiteral("page")).toInt();
                const int want = m.captured(2) == QLatin1String("prev")   ? page - 1
                                 : m.captured(2) == QLatin1String("next") ? page + 1
                                 : m.captured(2) == QLatin1String("last") ? pages
                                                                          : 1;
                QCOMPARE(linked, want);
            }
            QStringList want;
            if (page > 1)
                want << QStringLiteral("prev");
            if (page < pages)
                want << QStringLiteral("next") << QStringLiteral("last");
            if (page > 1)
                want << QStringLiteral("first");
            QCOMPARE(rels, want);
            next = r.nextLink();
        }
        QCOMPARE(page, pages);
        QCOMPARE(int(seen.size()), expected);
    }

    void issuesListCarriesPullsLikeGitHub() {
        SimClient sim(small());
        const QJsonArray all = sim.walk(QStringLiteral("/repos/octo-org/repo-0/issues?state=all&per_page=100"));
        const QJsonArray pulls = sim.walk(QStringLiteral("/repos/octo-org/repo-0/pulls?state=all&per_page=100"));
        QSet<qint64> pullNumbers;
        for (const QJsonValue &p : pulls) {
            pullNumbers.insert(p.toObject().value(QStringLiteral("number")).toInteger());
            QVERIFY(p.toObject().value(QStringLiteral("head")).toObject().contains(QStringLiteral("sha")));
        }
        int withKey = 0;
        for (const QJsonValue &v : all) {
            const QJsonObject o = v.toObject();
            const bool isPull = o.contains(QStringLiteral("pull_request"));
            withKey += isPull;
            QCOMPARE(isPull, pullNumbers.contains(o.value(QStringLiteral("number")).toInteger()));
            if (isPull) // the PR's own id differs from its issue id, as on GitHub
                QVERIFY(o.value(QStringLiteral("pull_request"))
                            .toObject()
                            .value(QStringLiteral("url"))
                            .toString()
                            .endsWith(QStringLiteral("/pulls/%1").arg(o.value(QStringLiteral("number")).toInteger())));
        }
        QCOMPARE(withKey, int(pulls.size()));
        QVERIFY(withKey > 0 && withKey < all.size());
        // Default state=open: only open ones, sorted by created desc.
        const QJsonArray open = sim.walk(QStringLiteral("/repos/octo-org/repo-0/issues?per_page=100"));
        QVERIFY(!open.isEmpty() && open.size() < all.size());
        for (qsizetype i = 0; i < open.size(); ++i) {
            QCOMPARE(open[i].toObject().value(QStringLiteral("state")).toString(), QStringLiteral("open"));
            if (i > 0)
                QVERIFY(open[i - 1].toObject().value(QStringLiteral("created_at")).toString() >=
                        open[i].toObject().value(QStringLiteral("created_at")).toString());
        }
    }

    void sinceSortAndDirection() {
        SimClient sim(small());
        // An edit moves updated_at to now: it becomes the newest and passes a recent `since`.
        QCOMPARE(sim.control("PATCH", QStringLiteral("/_sim/repos/octo-org/repo-0/issues/3"),
                             {{QStringLiteral("title"), QStringLiteral("Edited")}})
                     .status,
                 200);
        const QJsonArray asc =
            sim.walk(QStringLiteral("/repos/octo-org/repo-0/issues?state=all&sort=updated&direction=asc&per_page=5"));
        for (qsizetype i = 1; i < asc.size(); ++i)
            QVERIFY(asc[i - 1].toObject().value(QStringLiteral("updated_at")).toString() <=
                    asc[i].toObject().value(QStringLiteral("updated_at")).toString());
        QCOMPARE(asc.last().toObject().value(QStringLiteral("number")).toInt(), 3);
        const QString pivot = asc[5].toObject().value(QStringLiteral("updated_at")).toString();
        const QJsonArray since = sim.walk(
            QStringLiteral("/repos/octo-org/repo-0/issues?state=all&sort=updated&direction=asc&since=") + pivot);
        QCOMPARE(since.size(), asc.size() - 5);
        QCOMPARE(since.first().toObject().value(QStringLiteral("updated_at")).toString(), pivot);
        const QJsonArray desc =
            sim.walk(QStringLiteral("/repos/octo-org/repo-0/issues?state=all&sort=updated&direction=desc&per_page=4"));
        QCOMPARE(desc.first().toObject().value(QStringLiteral("number")).toInt(), 3);
        QCOMPARE(desc.size(), asc.size());
        const QJsonArray closed = sim.walk(QStringLiteral("/repos/octo-org/repo-0/issues?state=closed&per_page=100"));
        const QJsonArray open = sim.walk(QStringLiteral("/repos/octo-org/repo-0/issues?state=open&per_page=100"));
        QCOMPARE(closed.size() + open.size(), asc.size());
        for (const QJsonValue &v : closed)
            QVERIFY(!v.toObject().value(QStringLiteral("closed_at")).isNull());
        // Comments: since filters on updated_at.
        const QJsonArray comments =
            sim.walk(QStringLiteral("/repos/octo-org/repo-0/issues/comments?sort=updated&direction=asc&per_page=100"));
        const QString middle = comments[comments.size() / 2].toObject().value(QStringLiteral("updated_at")).toString();
        for (const QJsonValue &v : sim.walk(QStringLiteral("/repos/octo-org/repo-0/issues/comments?since=") + middle))
            QVERIFY(v.toObject().value(QStringLiteral("updated_at")).toString() >= middle);
    }

    void reactionRollupsMatchReactionLists() {
        SimClient sim(small());
        int withReactions = 0;
        const auto check = [&](const QJsonObject &o, const QString &listPath) {
            const QJsonObject rollup = o.value(QStringLiteral("reactions")).toObject();
            const QJsonArray list = sim.walk(listPath + QStringLiteral("?per_page=100"));
            if (rollup.value(QStringLiteral("total_count")).toInt() != list.size())
                return false;
            QHash<QString, int> counts;
            for (const QJsonValue &x : list)
                counts[x.toObject().value(QStringLiteral("content")).toString()] += 1;
            for (const QString &c : World::reactionContents())
                if (rollup.value(c).toInt() != counts.value(c))
                    return false;
            withReactions += !list.isEmpty();
            return rollup.value(QStringLiteral("url")).toString() == sim.base() + listPath;
        };
        for (const QJsonValue &v : sim.walk(QStringLiteral("/repos/octo-org/repo-2/issues?state=all&per_page=100"))) {
            const QJsonObject o = v.toObject();
            QVERIFY(check(o, QStringLiteral("/repos/octo-org/repo-2/issues/%1/reactions")
                                 .arg(o.value(QStringLiteral("number")).toInt())));
        }
        for (const QJsonValue &v : sim.walk(QStringLiteral("/repos/octo-org/repo-2/issues/comments?per_page=100"))) {
            const QJsonObject o = v.toObject();
            QVERIFY(check(o, QStringLiteral("/repos/octo-org/repo-2/issues/comments/%1/reactions")
                                 .arg(o.value(QStringLiteral("id")).toInteger())));
        }
        QVERIFY(withReactions > 3);
        // Adding one moves the rollup; a duplicate (same user, same content) answers 200 with the same reaction.
        const Reply added =
            sim.request("POST", QStringLiteral("/repos/octo-org/repo-2/issues/1/reactions"), R"({"content":"rocket"})");
        QCOMPARE(added.status, 201);
        QCOMPARE(
            sim.request("POST", QStringLiteral("/repos/octo-org/repo-2/issues/1/reactions"), R"({"content":"rocket"})")
                .status,
            200);
        QVERIFY(check(sim.get(QStringLiteral("/repos/octo-org/repo-2/issues/1")).object(),
                      QStringLiteral("/repos/octo-org/repo-2/issues/1/reactions")));
        QCOMPARE(
            sim.request("POST", QStringLiteral("/repos/octo-org/repo-2/issues/1/reactions"), R"({"content":"smile"})")
                .status,
            422);
        QCOMPARE(sim.request("DELETE", QStringLiteral("/repos/octo-org/repo-2/issues/1/reactions/%1")
                                           .arg(added.object().value(QStringLiteral("id")).toInteger()))
                     .status,
                 204);
        QVERIFY(check(sim.get(QStringLiteral("/repos/octo-org/repo-2/issues/1")).object(),
                      QStringLiteral("/repos/octo-org/repo-2/issues/1/reactions")));
    }

    void etagAnswers304WithoutSpendingQuota() {
        SimClient sim(small());
        const Reply first = sim.get(QStringLiteral("/repos/octo-org/repo-0/issues?per_page=5"));
        const QByteArray etag = first.header("ETag");
        QVERIFY(etag.startsWith("W/\""));
        const int remaining = first.header("X-RateLimit-Remaining").toInt();
        const Reply again = sim.request("GET", QStringLiteral("/repos/octo-org/repo-0/issues?per_page=5"), {},
                                        "ghp_sandbox", {{"If-None-Match", etag}});
        QCOMPARE(again.status, 304);
        QVERIFY(again.body.isEmpty());
        QCOMPARE(again.header("X-RateLimit-Remaining").toInt(), remaining);
        QCOMPARE(again.header("ETag"), etag);
        // Strong form of the same tag matches too; after a change the tag differs and a 200 spends quota.
        QCOMPARE(sim.request("GET", QStringLiteral("/repos/octo-org/repo-0/issues?per_page=5"), {}, "ghp_sandbox",
                             {{"If-None-Match", etag.mid(2)}})
                     .status,
                 304);
        QCOMPARE(sim.control("POST", QStringLiteral("/_sim/repos/octo-org/repo-0/issues"),
                             {{QStringLiteral("title"), QStringLiteral("new")}})
                     .status,
                 201);
        const Reply changed = sim.request("GET", QStringLiteral("/repos/octo-org/repo-0/issues?per_page=5"), {},
                                          "ghp_sandbox", {{"If-None-Match", etag}});
        QCOMPARE(changed.status, 200);
        QVERIFY(changed.header("ETag") != etag);
        QCOMPARE(changed.header("X-RateLimit-Remaining").toInt(), remaining - 1);
        const QJsonObject counters = sim.control("GET", QStringLiteral("/_sim/counters")).object();
        QCOMPARE(counters.value(QStringLiteral("not_modified")).toInt(), 2);
        QCOMPARE(counters.value(QStringLiteral("quota_spent")).toInt(), 2);
        QCOMPARE(counters.value(QStringLiteral("requests_by_endpoint"))
                     .toObject()
                     .value(QStringLiteral("GET /repos/{owner}/{repo}/issues"))
                     .toInt(),
                 4);
    }

    void primaryAndSecondaryLimits() {
        ServerOptions o = small();
        o.rateLimit = 3;
        o.rateWindowSeconds = 2;
        SimClient sim(o);
        for (int i = 0; i < 3; ++i) {
            const Reply r = sim.get(QStringLiteral("/repos/octo-org/repo-0"));
            QCOMPARE(r.status, 200);
            QCOMPARE(r.header("X-RateLimit-Remaining").toInt(), 2 - i);
            QCOMPARE(r.header("X-RateLimit-Used").toInt(), i + 1);
            QCOMPARE(r.header("X-RateLimit-Resource"), QByteArray("core"));
            QVERIFY(r.header("X-RateLimit-Reset").toLongLong() > QDateTime::currentSecsSinceEpoch());
            QVERIFY(!r.header("X-GitHub-Request-Id").isEmpty());
        }
        const Reply limited = sim.get(QStringLiteral("/repos/octo-org/repo-0"));
        QCOMPARE(limited.status, 403);
        QCOMPARE(limited.header("X-RateLimit-Remaining"), QByteArray("0"));
        QVERIFY(limited.object()
                    .value(QStringLiteral("message"))
                    .toString()
                    .startsWith(QStringLiteral("API rate limit exceeded for user ID")));
        // Free, even when exhausted, and with the same X-RateLimit-* headers as every API answer (GitHub's
        // recorded /rate_limit answer has them).
        const Reply rateLimit = sim.get(QStringLiteral("/rate_limit"));
        QCOMPARE(rateLimit.status, 200);
        QCOMPARE(rateLimit.header("X-RateLimit-Remaining"), QByteArray("0"));
        QCOMPARE(rateLimit.header("X-RateLimit-Limit"), QByteArray("3"));
        QCOMPARE(rateLimit.header("X-RateLimit-Used"), QByteArray("3"));
        QCOMPARE(rateLimit.header("X-RateLimit-Resource"), QByteArray("core"));
        QCOMPARE(rateLimit.header("X-RateLimit-Reset"), limited.header("X-RateLimit-Reset"));
        QCOMPARE(rateLimit.object()
                     .value(QStringLiteral("resources"))
                     .toObject()
                     .value(QStringLiteral("core"))
                     .toObject()
                     .value(QStringLiteral("remaining"))
                     .toInt(-1),
                 0);
        // The window ends at X-RateLimit-Reset; then the budget is back.
        const qint64 reset = limited.header("X-RateLimit-Reset").toLongLong();
        QVERIFY(reset - QDateTime::currentSecsSinceEpoch() <= 2);
        QTest::qWait(int(qMax<qint64>(0, (reset + 1) * 1000 - QDateTime::currentMSecsSinceEpoch())));
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0")).status, 200);

        QCOMPARE(sim.control("POST", QStringLiteral("/_sim/secondary-limit"),
                             {{QStringLiteral("requests"), 2},
                              {QStringLiteral("retry_after"), 7},
                              {QStringLiteral("status"), 429}})
                     .status,
                 200);
        for (int i = 0; i < 2; ++i) {
            const Reply r = sim.get(QStringLiteral("/repos/octo-org/repo-0"));
            QCOMPARE(r.status, 429);
            QCOMPARE(r.header("Retry-After"), QByteArray("7"));
            QVERIFY(r.object()
                        .value(QStringLiteral("message"))
                        .toString()
                        .contains(QStringLiteral("secondary rate limit")));
        }
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0")).status, 200);
        // The control API can force the remaining budget.
        QCOMPARE(sim.control("PUT", QStringLiteral("/_sim/ratelimit"), {{QStringLiteral("remaining"), 0}}).status, 200);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0")).status, 403);
    }

    void authenticationAndPermissionAnswers() {
        SimClient sim(small());
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0"), "ghp_wrong").status, 401);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0"), "ghp_wrong")
                     .object()
                     .value(QStringLiteral("message"))
                     .toString(),
                 QStringLiteral("Bad credentials"));
        // Anonymous: public repositories readable with GitHub's 60/h budget, private ones invisible.
        const Reply anon = sim.get(QStringLiteral("/repos/octo-org/repo-1"), {});
        const bool repo1Private =
            sim.get(QStringLiteral("/repos/octo-org/repo-1")).object().value(QStringLiteral("private")).toBool();
        QCOMPARE(anon.status, repo1Private ? 404 : 200);
        QCOMPARE(sim.get(QStringLiteral("/user"), {}).status, 401);
        const Reply anyAnon = sim.get(QStringLiteral("/orgs/octo-org/repos"), {});
        QCOMPARE(anyAnon.header("X-RateLimit-Limit"), QByteArray("60"));
        QCOMPARE(
            sim.request("PATCH", QStringLiteral("/repos/octo-org/repo-0/issues/1"), R"({"title":"x"})", "ghp_readonly")
                .status,
            403);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0/issues/1"), "ghp_readonly").status, 200);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/nothing")).status, 404);
        QCOMPARE(sim.get(QStringLiteral("/user")).object().value(QStringLiteral("login")).toString(),
                 QStringLiteral("sim-user"));
    }

    // Issues switched off in a repository's settings: GitHub answers 410 on every issue endpoint.
    void issuesDisabledAnswer410() {
        SimClient sim(small());
        const Reply edited =
            sim.request("PATCH", QStringLiteral("/_sim/repos/octo-org/repo-1"), R"({"has_issues":false})");
        QCOMPARE(edited.status, 200);
        QCOMPARE(edited.object().value(QStringLiteral("has_issues")).toBool(true), false);
        QCOMPARE(
            sim.get(QStringLiteral("/repos/octo-org/repo-1")).object().value(QStringLiteral("has_issues")).toBool(true),
            false);
        const Reply gone = sim.get(QStringLiteral("/repos/octo-org/repo-1/issues"));
        QCOMPARE(gone.status, 410);
        QCOMPARE(gone.object().value(QStringLiteral("message")).toString(),
                 QStringLiteral("Issues are disabled for this repo"));
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-1/issues/comments")).status, 410);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-1/pulls")).status, 200);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0/issues")).status, 200);
    }

    void writesValidateLikeGitHub() {
        SimClient sim(small());
        const Reply noTitle = sim.request("POST", QStringLiteral("/repos/octo-org/repo-0/issues"), R"({"body":"x"})");
        QCOMPARE(noTitle.status, 422);
        QCOMPARE(noTitle.object().value(QStringLiteral("message")).toString(), QStringLiteral("Validation Failed"));
        const QJsonObject e = noTitle.object().value(QStringLiteral("errors")).toArray().first().toObject();
        QCOMPARE(e.value(QStringLiteral("code")).toString(), QStringLiteral("missing_field"));
        QCOMPARE(e.value(QStringLiteral("field")).toString(), QStringLiteral("title"));
        QCOMPARE(sim.request("POST", QStringLiteral("/repos/octo-org/repo-0/issues"), "{not json")
                     .object()
                     .value(QStringLiteral("message"))
                     .toString(),
                 QStringLiteral("Problems parsing JSON"));
        QCOMPARE(sim.request("POST", QStringLiteral("/repos/octo-org/repo-0/issues"), "{not json").status, 400);
        QCOMPARE(sim.request("PATCH", QStringLiteral("/repos/octo-org/repo-0/issues/1"), R"({"state":"weird"})").status,
                 422);
        QCOMPARE(sim.request("PATCH", QStringLiteral("/repos/octo-org/repo-0/issues/1"),
                             R"({"assignees":["nobody-at-all"]})")
                     .status,
                 422);

        const Reply created = sim.request("POST", QStringLiteral("/repos/octo-org/repo-0/issues"),
                                          R"({"title":"Hello","labels":["bug","brand-new"]})");
        QCOMPARE(created.status, 201);
        const int number = created.object().value(QStringLiteral("number")).toInt();
        QCOMPARE(created.object().value(QStringLiteral("labels")).toArray().size(), 2);
        QCOMPARE(created.header("Location"),
                 (sim.base() + QStringLiteral("/repos/octo-org/repo-0/issues/%1").arg(number)).toUtf8());
        const QString path = QStringLiteral("/repos/octo-org/repo-0/issues/%1").arg(number);
        const Reply closed = sim.request("PATCH", path, R"({"state":"closed","state_reason":"not_planned"})");
        QCOMPARE(closed.object().value(QStringLiteral("state_reason")).toString(), QStringLiteral("not_planned"));
        QVERIFY(closed.object().value(QStringLiteral("updated_at")).toString() >
                created.object().value(QStringLiteral("updated_at")).toString());
        QCOMPARE(sim.request("PUT", path + QStringLiteral("/lock"), R"({"lock_reason":"resolved"})").status, 204);
        QCOMPARE(sim.get(path).object().value(QStringLiteral("active_lock_reason")).toString(),
                 QStringLiteral("resolved"));
        QCOMPARE(sim.request("DELETE", path + QStringLiteral("/lock")).status, 204);
        QCOMPARE(sim.request("DELETE", path + QStringLiteral("/lock")).status, 404);
        QCOMPARE(
            sim.request("POST", QStringLiteral("/repos/octo-org/repo-0/labels"), R"({"name":"x","color":"invalid"})")
                .status,
            422);
        // Deleted issues: GET 404, writes 410 Gone.
        QCOMPARE(sim.control("DELETE", QStringLiteral("/_sim") + path).status, 204);
        QCOMPARE(sim.get(path).status, 404);
        QCOMPARE(sim.request("PATCH", path, R"({"title":"again"})").status, 410);
    }

    void faultsAreInjected() {
        SimClient sim(small());
        QCOMPARE(sim.control("PUT", QStringLiteral("/_sim/faults"),
                             {{QStringLiteral("faults"),
                               QJsonArray{QJsonObject{{QStringLiteral("path"), QStringLiteral("^/repos/.*/issues$")},
                                                      {QStringLiteral("count"), 2},
                                                      {QStringLiteral("status"), 502}}}}})
                     .status,
                 200);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0/issues")).status, 502);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0/issues")).status, 502);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0/issues")).status, 200);
        sim.control("PUT", QStringLiteral("/_sim/faults"),
                    {{QStringLiteral("faults"),
                      QJsonArray{QJsonObject{{QStringLiteral("path"), QStringLiteral("/labels")},
                                             {QStringLiteral("kind"), QStringLiteral("truncate")}}}}});
        const Reply cut = sim.get(QStringLiteral("/repos/octo-org/repo-0/labels"));
        QVERIFY(cut.error != QNetworkReply::NoError || cut.json().isNull());
        sim.control(
            "PUT", QStringLiteral("/_sim/faults"),
            {{QStringLiteral("faults"), QJsonArray{QJsonObject{{QStringLiteral("path"), QStringLiteral("/labels")},
                                                               {QStringLiteral("kind"), QStringLiteral("timeout")}}}}});
        QElapsedTimer t;
        t.start();
        const Reply hung =
            sim.request("GET", QStringLiteral("/repos/octo-org/repo-0/labels"), {}, "ghp_sandbox", {}, 300);
        QVERIFY(hung.error != QNetworkReply::NoError);
        QVERIFY(t.elapsed() >= 250);
        sim.control("PUT", QStringLiteral("/_sim/faults"), {{QStringLiteral("fail_rate"), 1.0}});
        const int failed = sim.get(QStringLiteral("/repos/octo-org/repo-0/labels")).status;
        QVERIFY2(failed >= 500 && failed <= 503, qPrintable(QString::number(failed)));
        sim.control("DELETE", QStringLiteral("/_sim/faults"));
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0/labels")).status, 200);
        // Latency applies to every API answer.
        sim.control("PUT", QStringLiteral("/_sim/faults"), {{QStringLiteral("latency_ms"), 250}});
        t.restart();
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0/labels")).status, 200);
        QVERIFY(t.elapsed() >= 240);
    }

    void tooManyConcurrentRequestsHitTheSecondaryLimit() {
        ServerOptions o = small();
        o.maxConcurrent = 2;
        o.latencyMs = 300; // keeps requests in flight
        SimClient sim(o);
        QNetworkAccessManager nam;
        QList<QNetworkReply *> replies;
        for (int i = 0; i < 4; ++i) {
            QNetworkRequest r(QUrl(sim.base() + QStringLiteral("/repos/octo-org/repo-0/labels")));
            r.setRawHeader("Authorization", "token ghp_sandbox");
            replies << nam.get(r);
        }
        QTRY_VERIFY_WITH_TIMEOUT(
            std::all_of(replies.cbegin(), replies.cend(), [](QNetworkReply *r) { return r->isFinished(); }), 5000);
        int limited = 0;
        for (QNetworkReply *r : std::as_const(replies)) {
            const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (status == 403) {
                ++limited;
                QVERIFY(!r->rawHeader("Retry-After").isEmpty());
            } else {
                QCOMPARE(status, 200);
            }
            r->deleteLater();
        }
        QVERIFY2(limited >= 1 && limited <= 2, qPrintable(QString::number(limited)));
    }

    void hostileInputIsBounded_data() {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<int>("status");
        QTest::newRow("garbage") << QByteArray("HELLO\r\n\r\n") << 400;
        QTest::newRow("header flood") << QByteArray("GET / HTTP/1.1\r\nX: " + QByteArray(70000, 'a') + "\r\n\r\n")
                                      << 431;
        QTest::newRow("huge body") << QByteArray("POST /graphql HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n") << 413;
        QTest::newRow("chunked") << QByteArray("POST /graphql HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") << 411;
        QTest::newRow("bad length") << QByteArray("POST /graphql HTTP/1.1\r\nContent-Length: -5\r\n\r\n") << 400;
    }
    void hostileInputIsBounded() {
        QFETCH(QByteArray, raw);
        QFETCH(int, status);
        SimClient sim(small());
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, QUrl(sim.base()).port());
        QVERIFY(socket.waitForConnected(2000));
        socket.write(raw);
        QByteArray answer;
        QTRY_VERIFY_WITH_TIMEOUT((answer += socket.readAll()).contains("\r\n\r\n"), 3000);
        QVERIFY2(answer.startsWith(QByteArray("HTTP/1.1 " + QByteArray::number(status))), answer.left(40).constData());
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0")).status, 200); // still serving
    }

    void sameSeedSameBytes() {
        SimClient a(small(42)), b(small(42)), c(small(43));
        const auto normalised = [](SimClient &s, const QString &path) {
            QByteArray body = s.get(path).body;
            return body.replace(s.base().toUtf8(), "BASE");
        };
        for (const QString &path :
             {QStringLiteral("/repos/octo-org/repo-1/issues?state=all&per_page=100"),
              QStringLiteral("/repos/octo-org/repo-1/issues/comments"),
              QStringLiteral("/repos/octo-org/repo-1/commits"), QStringLiteral("/repos/octo-org/repo-1/git/refs")}) {
            QCOMPARE(normalised(a, path), normalised(b, path));
            QVERIFY(normalised(a, path) != normalised(c, path));
        }
    }

    void largeDatasetIsFastAndBounded() {
        // Generation is lazy: a million records cost no start-up time and little memory; a deep 100-item
        // page costs a few ms. Times are printed (benchmarks measure speed); memory is asserted.
        const qint64 rssBefore = residentKiB();
        QElapsedTimer t;
        t.start();
        ServerOptions o;
        o.dataset = *DatasetSpec::named(QStringLiteral("large"));
        Server server(o);
        const qint64 startMs = t.elapsed();
        QVERIFY(o.dataset.recordCount() >= 1'000'000);
        const auto serve = [&](const QByteArray &target) {
            HttpRequest r;
            r.method = "GET";
            r.target = target;
            const QUrl url = QUrl::fromEncoded(target);
            r.path = url.path();
            r.query = QUrlQuery(url);
            r.headers = {{"Authorization", "token ghp_sandbox"}};
            return server.handle(r);
        };
        qint64 items = 0;
        qint64 serverNs = 0;
        const int pages = 300;
        for (int p = 0; p < pages; ++p) {
            const QByteArray target =
                p % 3 == 0
                    ? QByteArray(
                          "/repos/octo-org/repo-3/issues?state=all&sort=updated&direction=asc&per_page=100&page=" +
                          QByteArray::number(1 + p * 3 % 200))
                : p % 3 == 1
                    ? QByteArray("/repos/octo-org/repo-" + QByteArray::number(p % 20) +
                                 "/issues/comments?sort=updated&direction=asc&per_page=100&page=" +
                                 QByteArray::number(1 + p % 200))
                    : QByteArray("/repos/octo-org/repo-3/commits?per_page=100&page=" + QByteArray::number(1 + p % 40));
            t.restart();
            const HttpResponse r = serve(target);
            serverNs += t.nsecsElapsed();
            QCOMPARE(r.status, 200);
            items += QJsonDocument::fromJson(r.body).array().size();
        }
        QCOMPARE(items, pages * 100);
        const double ms = double(serverNs) / 1e6 / pages;
        const qint64 rssGrowthKiB = residentKiB() - rssBefore;
        qInfo("large dataset: started in %lld ms; %.2f ms per 100-item page (%.0f records/s, single thread, no "
              "network); resident memory grew by %lld KiB",
              startMs, ms, double(items) * 1e9 / double(qMax<qint64>(1, serverNs)), rssGrowthKiB);
        // Linux only (/proc/self/status), and not under AddressSanitizer, whose quarantine keeps freed memory.
        if (rssBefore > 0 && !sanitized())
            QVERIFY2(rssGrowthKiB < 96 * 1024, qPrintable(QString::number(rssGrowthKiB)));
    }
};

QTEST_GUILESS_MAIN(TestGithubsimRest)
#include "tst_githubsim_rest.moc"
