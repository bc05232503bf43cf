// BackendStream: the server-to-client byte stream relayed in runs, with the watched messages handed over
// whole. Every way of cutting a stream into chunks must give the same bytes and the same messages.

#include "proxy/backendstream.h"

#include <QRandomGenerator>
#include <QTest>

using namespace hubsync::proxy;

namespace {

QByteArray message(char type, const QByteArray &payload) {
    QByteArray out;
    BackendStream::appendWire(out, type, payload);
    return out;
}

struct Seen {
    char type;
    QByteArray payload;
    friend bool operator==(const Seen &, const Seen &) = default;
};

// Feeds `stream` in chunks of the given sizes (the last one takes the rest); the watched messages are
// replaced by "<type>" markers in the output, so their position is checked too.
QByteArray relay(const QByteArray &stream, const QList<qsizetype> &cuts, QList<Seen> *seen, bool *ok) {
    BackendStream backend;
    QByteArray out;
    qsizetype pos = 0;
    *ok = true;
    for (qsizetype i = 0; pos < stream.size(); ++i) {
        const qsizetype size = i < cuts.size() ? qMin(cuts.at(i), stream.size() - pos) : stream.size() - pos;
        *ok = *ok && backend.feed(QByteArrayView(stream).sliced(pos, size), out,
                                  [&](char type, QByteArrayView payload, QByteArray &to) {
                                      seen->append({type, payload.toByteArray()});
                                      to += '<';
                                      to += type;
                                      to += '>';
                                  });
        pos += size;
    }
    return out;
}

} // namespace

class TestBackendStream : public QObject {
    Q_OBJECT

    // A result set as PostgreSQL sends it, with watched messages between and inside runs of DataRows.
    QByteArray m_stream;
    QByteArray m_expected; // the stream with each watched message replaced by its marker
    QList<Seen> m_watched;

    void add(char type, const QByteArray &payload, bool watched) {
        if (watched) {
            m_expected += '<';
            m_expected += type;
            m_expected += '>';
            m_watched.append({type, payload});
        } else {
            m_expected += message(type, payload);
        }
        m_stream += message(type, payload);
    }

private Q_SLOTS:
    void initTestCase() {
        add('S', QByteArray("client_encoding\0UTF8\0", 21), true);
        add('K',
            QByteArray("\0\0\0\x2a"
                       "abcd",
                       8),
            true);
        add('Z', "I", true);
        add('1', {}, false);
        add('2', {}, false);
        add('T', QByteArray(40, 't'), false);
        for (int i = 0; i < 20; ++i)
            add('D', QByteArray(i * 7, char('a' + i)), false);
        add('E', QByteArray(3000, 'e'), true); // bigger than most chunks below
        add('D', QByteArray(5, 'x'), false);
        add('Z', "T", true);
        add('Z', "I", true);
        add('C', "SELECT 20", false);
        add('Z', "E", true);
    }

    void everyCut() {
        // Two chunks, cut at every position.
        for (qsizetype cut = 0; cut <= m_stream.size(); ++cut) {
            QList<Seen> seen;
            bool ok = false;
            QCOMPARE(relay(m_stream, {cut}, &seen, &ok), m_expected);
            QVERIFY(ok);
            QCOMPARE(seen, m_watched);
        }
    }

    void randomChunks() {
        QRandomGenerator random(20261207);
        for (int round = 0; round < 500; ++round) {
            QList<qsizetype> cuts;
            for (qsizetype total = 0; total < m_stream.size();) {
                cuts.append(1 + random.bounded(round % 2 ? 8 : 400));
                total += cuts.last();
            }
            QList<Seen> seen;
            bool ok = false;
            QCOMPARE(relay(m_stream, cuts, &seen, &ok), m_expected);
            QVERIFY(ok);
            QCOMPARE(seen, m_watched);
        }
    }

    void badHeaderStopsAfterTheGoodBytes() {
        const QByteArray good = message('D', "row");
        QByteArray stream = good;
        stream += QByteArray("D\0\0\0\x02", 5); // length below 4
        BackendStream backend;
        QByteArray out;
        QVERIFY(!backend.feed(stream, out, [](char, QByteArrayView, QByteArray &) {}));
        QCOMPARE(out, good);
        QVERIFY(!backend.error().isEmpty());
        QVERIFY(!backend.feed(good, out, [](char, QByteArrayView, QByteArray &) {}));
    }
};

QTEST_GUILESS_MAIN(TestBackendStream)
#include "tst_backendstream.moc"
