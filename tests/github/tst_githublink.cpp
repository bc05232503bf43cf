// Link header pagination, checked against real recordings: the URL GitHub put in rel="next" must be
// the URL the recording client requested next.

#include "github/linkheader.h"
#include "recordedhttp.h"

#include <QTest>
#include <QUrlQuery>

using namespace hubsync;
using namespace hubsync::github;
using hubsync::test::RecordedExchange;

namespace {

QList<RecordedExchange> load(const QString &file, QString *error) {
    return file.startsWith(QLatin1String("rest/github3py/")) ? test::loadCassette(file, error)
                                                             : test::loadNock(file, error);
}

// The GET 200 responses of a recording that carry a Link header, in order.
QList<RecordedExchange> pages(const QList<RecordedExchange> &all) {
    QList<RecordedExchange> out;
    for (const RecordedExchange &x : all) {
        if (x.method == QLatin1String("GET") && x.status == 200 && !headerValue(x.headers, "link").isEmpty())
            out.append(x);
    }
    return out;
}

} // namespace

class TestGitHubLink : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void recordedSequences_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("expectedPages");
        QTest::newRow("octokit paginate-issues") << QStringLiteral("rest/raw/paginate-issues.json") << 5;
        QTest::newRow("github3py refs (7 pages)") << QStringLiteral("rest/github3py/Repository_refs.json") << 7;
        QTest::newRow("github3py issues after 301")
            << QStringLiteral("rest/github3py/Repository_issues_state_all.json") << 2;
    }

    void recordedSequences() {
        QFETCH(QString, file);
        QFETCH(int, expectedPages);
        QString error;
        const QList<RecordedExchange> seq = pages(load(file, &error));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(seq.size(), expectedPages);
        const QUrl finalUrl(seq.last().url);
        for (qsizetype i = 0; i < seq.size(); ++i) {
            const LinkSet links = parseLinkHeader(headerValue(seq[i].headers, "link"));
            const QUrl self(seq[i].url);
            if (i + 1 < seq.size()) {
                QCOMPARE(links.next, QUrl(seq[i + 1].url)); // what the real client fetched next
                QCOMPARE(pageNumber(links.last), pageNumber(finalUrl));
                QVERIFY(isSameApiOrigin(links.next, QUrl(QStringLiteral("https://api.github.com"))));
            } else {
                QVERIFY2(links.next.isEmpty(), "the last page must not have a next link");
                QVERIFY(links.last.isEmpty());
                QCOMPARE(pageNumber(links.first), 1);
            }
            if (pageNumber(self) > 1)
                QCOMPARE(pageNumber(links.prev), pageNumber(self) - 1);
        }
    }

    void recordedFirstPages_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<bool>("pageBased"); // page=N, or since=ID cursors (GET /users)
        QTest::newRow("commits") << QStringLiteral("rest/github3py/Repository_commits.json") << true;
        QTest::newRow("issue events") << QStringLiteral("rest/github3py/Repository_issue_events.json") << true;
        QTest::newRow("users since (etags)")
            << QStringLiteral("rest/github3py/GitHubIterator_catch_etags.json") << false;
        QTest::newRow("users since (reset)")
            << QStringLiteral("rest/github3py/GitHubIterator_resets_etag.json") << false;
    }

    void recordedFirstPages() {
        QFETCH(QString, file);
        QFETCH(bool, pageBased);
        QString error;
        const QList<RecordedExchange> seq = pages(load(file, &error));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(!seq.isEmpty());
        for (const RecordedExchange &x : seq) {
            const LinkSet links = parseLinkHeader(headerValue(x.headers, "link"));
            QVERIFY(links.next.isValid());
            QVERIFY(isSameApiOrigin(links.next, QUrl(QStringLiteral("https://api.github.com"))));
            const QUrlQuery self(QUrl(x.url));
            const QUrlQuery next(links.next);
            QCOMPARE(next.queryItemValue(QStringLiteral("per_page")), self.queryItemValue(QStringLiteral("per_page")));
            if (pageBased) {
                QCOMPARE(pageNumber(links.next), 2);
                QVERIFY(pageNumber(links.last) > 2);
            } else {
                QCOMPARE(pageNumber(links.next), -1);
                QVERIFY(next.queryItemValue(QStringLiteral("since")).toLongLong() > 0);
            }
        }
    }

    // The same real header, reformatted in ways RFC 8288 allows.
    void formatting_data() {
        QTest::addColumn<QByteArray>("header");
        const QByteArray n = "<https://api.github.com/repositories/515435940/issues?per_page=3&page=3>";
        const QByteArray l = "<https://api.github.com/repositories/515435940/issues?per_page=3&page=5>";
        const QByteArray p = "<https://api.github.com/repositories/515435940/issues?per_page=3&page=1>";
        QTest::newRow("github order") << p + "; rel=\"prev\", " + n + "; rel=\"next\", " + l + "; rel=\"last\"";
        QTest::newRow("reordered") << l + "; rel=\"last\", " + n + "; rel=\"next\", " + p + "; rel=\"prev\"";
        QTest::newRow("no spaces") << p + ";rel=\"prev\"," + n + ";rel=\"next\"," + l + ";rel=\"last\"";
        QTest::newRow("extra whitespace")
            << "  " + p + " ;  rel = \"prev\" ,\t" + n + "\t; rel=\"next\" , " + l + " ; rel=\"last\"  ";
        QTest::newRow("unquoted rel") << n + "; rel=next, " + l + "; rel=last";
        QTest::newRow("upper case") << n + "; REL=\"NEXT\", " + l + "; Rel=\"Last\"";
        QTest::newRow("extra params") << n + "; title=\"x, y; z\"; rel=\"next\", " + l + "; rel=\"last\"; type=a";
        QTest::newRow("two rels in one") << n + "; rel=\"next\", " + l + "; rel=\"last somethingelse\"";
        QTest::newRow("empty elements") << ", ," + n + "; rel=\"next\",," + l + "; rel=\"last\",";
    }

    void formatting() {
        QFETCH(QByteArray, header);
        const LinkSet links = parseLinkHeader(header);
        QCOMPARE(pageNumber(links.next), 3);
        QCOMPARE(pageNumber(links.last), 5);
        QCOMPARE(links.next.host(), QStringLiteral("api.github.com"));
    }

    void hostile_data() {
        QTest::addColumn<QByteArray>("header");
        const QByteArray n = "<https://api.github.com/x?page=2>";
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("missing brackets") << QByteArray("https://api.github.com/x?page=2; rel=\"next\"");
        QTest::newRow("missing close bracket") << QByteArray("<https://api.github.com/x?page=2; rel=\"next\"");
        QTest::newRow("unterminated quote") << n + "; rel=\"next";
        QTest::newRow("garbage after url") << n + " junk; rel=\"next\"";
        QTest::newRow("relative url") << QByteArray("</x?page=2>; rel=\"next\"");
        QTest::newRow("not a url") << QByteArray("<::::>; rel=\"next\"");
        QTest::newRow("no rel") << n + "; title=\"next\"";
        QTest::newRow("huge") << n + "; rel=\"next\", " + QByteArray(100'000, ',');
        QTest::newRow("thousands of links") << QByteArray(n + "; rel=\"prev\", ").repeated(100) + n + "; rel=\"next\"";
        static const char binary[] = "<\x01\x02\xff\xfe>; rel=\"next\"";
        QTest::newRow("binary") << QByteArray(binary, sizeof binary - 1);
        QTest::newRow("nested brackets") << QByteArray("<<https://api.github.com/x?page=2>>; rel=\"next\"");
    }

    void hostile() {
        QFETCH(QByteArray, header);
        const LinkSet links = parseLinkHeader(header);
        QVERIFY(links.next.isEmpty());
    }

    void sameOrigin_data() {
        QTest::addColumn<QString>("candidate");
        QTest::addColumn<QString>("base");
        QTest::addColumn<bool>("same");
        const QString gh = QStringLiteral("https://api.github.com");
        const QString ghe = QStringLiteral("https://ghe.example.com/api/v3");
        QTest::newRow("github") << QStringLiteral("https://api.github.com/repositories/1/issues?page=2") << gh << true;
        QTest::newRow("host case") << QStringLiteral("https://API.GitHub.com/x") << gh << true;
        QTest::newRow("explicit default port") << QStringLiteral("https://api.github.com:443/x") << gh << true;
        QTest::newRow("other host") << QStringLiteral("https://evil.example/x") << gh << false;
        QTest::newRow("suffix host") << QStringLiteral("https://api.github.com.evil.example/x") << gh << false;
        QTest::newRow("userinfo trick") << QStringLiteral("https://api.github.com@evil.example/x") << gh << false;
        QTest::newRow("userinfo") << QStringLiteral("https://user:pw@api.github.com/x") << gh << false;
        QTest::newRow("downgrade to http") << QStringLiteral("http://api.github.com/x") << gh << false;
        QTest::newRow("other port") << QStringLiteral("https://api.github.com:8443/x") << gh << false;
        QTest::newRow("relative") << QStringLiteral("/x") << gh << false;
        QTest::newRow("ghes inside") << QStringLiteral("https://ghe.example.com/api/v3/repos/a/b/issues?page=2") << ghe
                                     << true;
        QTest::newRow("ghes base itself") << QStringLiteral("https://ghe.example.com/api/v3") << ghe << true;
        QTest::newRow("ghes outside api") << QStringLiteral("https://ghe.example.com/login") << ghe << false;
        QTest::newRow("ghes prefix only") << QStringLiteral("https://ghe.example.com/api/v3evil/x") << ghe << false;
        QTest::newRow("ghes climbing") << QStringLiteral("https://ghe.example.com/api/v3/../../login") << ghe << false;
        QTest::newRow("simulator") << QStringLiteral("http://127.0.0.1:4010/repos/a/b/issues?page=2")
                                   << QStringLiteral("http://127.0.0.1:4010") << true;
        QTest::newRow("simulator other port")
            << QStringLiteral("http://127.0.0.1:4011/x") << QStringLiteral("http://127.0.0.1:4010") << false;
        QTest::newRow("ftp") << QStringLiteral("ftp://api.github.com/x") << gh << false;
    }

    void sameOrigin() {
        QFETCH(QString, candidate);
        QFETCH(QString, base);
        QFETCH(bool, same);
        QCOMPARE(isSameApiOrigin(QUrl(candidate), QUrl(base)), same);
    }

    void pageNumbers_data() {
        QTest::addColumn<QString>("url");
        QTest::addColumn<qint64>("page");
        QTest::newRow("page 5") << QStringLiteral("https://h/x?per_page=3&page=5") << qint64(5);
        QTest::newRow("no page") << QStringLiteral("https://h/x?since=19") << qint64(-1);
        QTest::newRow("zero") << QStringLiteral("https://h/x?page=0") << qint64(-1);
        QTest::newRow("negative") << QStringLiteral("https://h/x?page=-2") << qint64(-1);
        QTest::newRow("text") << QStringLiteral("https://h/x?page=abc") << qint64(-1);
        QTest::newRow("overflow") << QStringLiteral("https://h/x?page=99999999999999999999999") << qint64(-1);
    }

    void pageNumbers() {
        QFETCH(QString, url);
        QFETCH(qint64, page);
        QCOMPARE(pageNumber(QUrl(url)), page);
    }
};

QTEST_GUILESS_MAIN(TestGitHubLink)
#include "tst_githublink.moc"
