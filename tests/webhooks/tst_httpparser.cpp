#include "webhooks/httpparser.h"
#include "webhooks/signature.h"

#include <QTest>

using namespace hubsync::webhooks;

// The receiver's request parser and signature check: pure functions over bytes, so every hostile input
// can be stated exactly.
class TestHttpParser : public QObject {
    Q_OBJECT
private:
    static QByteArray post(const QByteArray &body, const QByteArray &extraHeaders = {}) {
        return "POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
               QByteArray::number(body.size()) + "\r\n" + extraHeaders + "\r\n" + body;
    }

private Q_SLOTS:
    void completeRequest() {
        HttpRequestParser parser;
        parser.append(post(R"({"a":1})", "X-GitHub-Event: issues\r\n"));
        HttpRequest r;
        QCOMPARE(parser.next(&r), HttpRequestParser::State::Ready);
        QCOMPARE(r.method, QByteArray("POST"));
        QCOMPARE(r.path(), QByteArray("/hook"));
        QCOMPARE(r.header("x-github-event"), QByteArray("issues")); // case-insensitive
        QCOMPARE(r.body, QByteArray(R"({"a":1})"));
        QVERIFY(r.keepAlive);
        QCOMPARE(parser.next(&r), HttpRequestParser::State::NeedMore);
    }

    void byteByByte() {
        const QByteArray wire = post(R"({"hello":"world"})") + post("{}");
        HttpRequestParser parser;
        QList<HttpRequest> got;
        for (const char c : wire) {
            parser.append(QByteArrayView(&c, 1));
            HttpRequest r;
            while (parser.next(&r) == HttpRequestParser::State::Ready)
                got << r;
        }
        QCOMPARE(got.size(), 2);
        QCOMPARE(got[0].body, QByteArray(R"({"hello":"world"})"));
        QCOMPARE(got[1].body, QByteArray("{}"));
    }

    void chunkedBody() {
        HttpRequestParser parser;
        parser.append(
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\n\r\n");
        HttpRequest r;
        QCOMPARE(parser.next(&r), HttpRequestParser::State::Ready);
        QCOMPARE(r.body, QByteArray(R"({"a":1})"));
    }

    void expectContinue() {
        HttpRequestParser parser;
        parser.append("POST / HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
        HttpRequest r;
        QCOMPARE(parser.next(&r), HttpRequestParser::State::NeedMore);
        QVERIFY(parser.wantsContinue());
        QVERIFY(!parser.wantsContinue()); // answered once
        parser.append("{}");
        QCOMPARE(parser.next(&r), HttpRequestParser::State::Ready);
    }

    void connectionClose() {
        HttpRequestParser parser;
        parser.append("GET /health HTTP/1.1\r\nConnection: close\r\n\r\n");
        HttpRequest r;
        QCOMPARE(parser.next(&r), HttpRequestParser::State::Ready);
        QVERIFY(!r.keepAlive);
        HttpRequestParser old;
        old.append("GET / HTTP/1.0\r\n\r\n");
        QCOMPARE(old.next(&r), HttpRequestParser::State::Ready);
        QVERIFY(!r.keepAlive);
    }

    void hostile_data() {
        QTest::addColumn<QByteArray>("wire");
        QTest::addColumn<int>("status");
        QTest::newRow("no request line") << QByteArray("\r\n\r\n") << 400;
        QTest::newRow("garbage") << QByteArray("\x16\x03\x01\x02\x05\x01\r\n\r\n") << 400;
        QTest::newRow("absolute target") << QByteArray("POST http://x/ HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("control char in target") << QByteArray("GET /a\x01 HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("HTTP/2") << QByteArray("POST / HTTP/2.0\r\n\r\n") << 505;
        QTest::newRow("header without colon") << QByteArray("POST / HTTP/1.1\r\nBroken\r\n\r\n") << 400;
        QTest::newRow("space before colon") << QByteArray("POST / HTTP/1.1\r\nHost : x\r\n\r\n") << 400;
        QTest::newRow("folded header") << QByteArray("POST / HTTP/1.1\r\nA: b\r\n c\r\n\r\n") << 400;
        QTest::newRow("negative length") << QByteArray("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") << 400;
        QTest::newRow("junk length") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n") << 400;
        QTest::newRow("two lengths") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
                                     << 400;
        QTest::newRow("length and chunked")
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n") << 400;
        QTest::newRow("gzip transfer coding")
            << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n") << 501;
        QTest::newRow("huge length") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n") << 413;
        QTest::newRow("overflowing length")
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n") << 400;
        QTest::newRow("bad chunk size") << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                                        << 400;
        QTest::newRow("huge chunk") << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\n")
                                    << 400;
        QTest::newRow("chunk without CRLF")
            << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXX") << 400;
        QTest::newRow("endless header") << QByteArray("POST / HTTP/1.1\r\nA: ") + QByteArray(20000, 'a') << 431;
        QByteArray many = "POST / HTTP/1.1\r\n";
        for (int i = 0; i < 200; ++i)
            many += "H" + QByteArray::number(i) + ": v\r\n";
        QTest::newRow("too many headers") << many + "\r\n" << 431;
    }

    void hostile() {
        QFETCH(QByteArray, wire);
        QFETCH(int, status);
        HttpRequestParser::Limits limits;
        limits.maxBodyBytes = 1024 * 1024;
        HttpRequestParser parser(limits);
        parser.append(wire);
        HttpRequest r;
        QCOMPARE(parser.next(&r), HttpRequestParser::State::Failed);
        QCOMPARE(parser.errorStatus(), status);
        QVERIFY(!parser.errorMessage().isEmpty());
        // A failed parser stays failed and holds nothing more.
        parser.append("GET / HTTP/1.1\r\n\r\n");
        QCOMPARE(parser.next(&r), HttpRequestParser::State::Failed);
        QCOMPARE(parser.bufferedBytes(), 0);
    }

    void bodyLimit() {
        HttpRequestParser::Limits limits;
        limits.maxBodyBytes = 10;
        HttpRequestParser parser(limits);
        parser.append(post("01234567890"));
        HttpRequest r;
        QCOMPARE(parser.next(&r), HttpRequestParser::State::Failed);
        QCOMPARE(parser.errorStatus(), 413);
        HttpRequestParser chunked(limits);
        chunked.append("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n6\r\n012345\r\n");
        QCOMPARE(chunked.next(&r), HttpRequestParser::State::Failed);
        QCOMPARE(chunked.errorStatus(), 413);
    }

    // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
    void githubSignatureVector() {
        const QByteArray secret = "It's a Secret to Everybody";
        const QByteArray body = "Hello, World!";
        const QByteArray expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        QCOMPARE(signatureFor(body, secret), expected);
        QVERIFY(verifySignature(body, secret, expected));
        QVERIFY(verifySignature(body, secret, expected.toUpper().replace("SHA256=", "sha256=")));
        QVERIFY(!verifySignature(QByteArray(body + " "), secret, expected));
        QVERIFY(!verifySignature(body, QByteArray(secret + "x"), expected));
        QVERIFY(!verifySignature(body, secret, expected.left(expected.size() - 1)));
        QVERIFY(!verifySignature(body, secret, expected.mid(7))); // no "sha256=" prefix
        QVERIFY(!verifySignature(body, secret, {}));
        QVERIFY(!verifySignature(body, {}, signatureFor(body, {}))); // no secret, no trust
        QVERIFY(constantTimeEquals("abc", "abc"));
        QVERIFY(!constantTimeEquals("abc", "abd"));
        QVERIFY(!constantTimeEquals("abc", "ab"));
    }
};

QTEST_GUILESS_MAIN(TestHttpParser)
#include "tst_httpparser.moc"
