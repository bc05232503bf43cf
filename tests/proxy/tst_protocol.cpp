// Protocol v3 codecs (engine/proxy/protocol): round trips for every message, byte-exact checks against
// wire bytes captured from psql 15 or written from protocol.sgml, fragmented input and hostile input.
// The rows live in tst_protocol_rows.cpp.

#include "tst_protocol_rows.h"

#include <QTest>

using namespace hubsync::proxy::protocol;
using namespace hubsync::proxy::protocol::testing;

namespace {

const Decoder *findDecoder(const QString &name) {
    for (const std::span<const Decoder> decoders : allDecoders) {
        for (const Decoder &decoder : decoders) {
            if (name == QLatin1StringView(decoder.name))
                return &decoder;
        }
    }
    return nullptr;
}

// Every decoder of both directions must fail cleanly or decode canonically; returns the first problem.
QString checkAllDecoders(QByteArrayView payload) {
    for (const std::span<const Decoder> decoders : allDecoders) {
        for (const Decoder &decoder : decoders) {
            if (QString problem = checkCanonical(decoder, payload); !problem.isEmpty())
                return problem;
        }
    }
    return {};
}

MessageReader::Mode modeFor(bool untyped) {
    return untyped ? MessageReader::Mode::Startup : MessageReader::Mode::Typed;
}

} // namespace

class TestProtocol final : public QObject {
    Q_OBJECT

private:
    static void checkSingleFrame(const QByteArray &wire, bool untyped, const Checker &check);

private Q_SLOTS:
    void roundTrip_data() { addMessageRows(); }
    void roundTrip();
    void wireBytes_data() { addWireByteRows(); }
    void wireBytes();
    void fragmented_data() { addMessageRows(); }
    void fragmented();
    void truncatedPayloads_data() { addMessageRows(); }
    void truncatedPayloads();
    void stream_data();
    void stream();
    void framingErrors_data() { addFramingErrorRows(); }
    void framingErrors();
    void framingLimits();
    void decodeErrors_data() { addDecodeErrorRows(); }
    void decodeErrors();
    void helpers();
    void bindNames();
};

void TestProtocol::checkSingleFrame(const QByteArray &wire, bool untyped, const Checker &check) {
    MessageReader reader(modeFor(untyped));
    reader.feed(wire);
    Frame frame;
    QCOMPARE(reader.next(frame), MessageReader::Status::Frame);
    QCOMPARE(frame.isUntyped(), untyped);
    QCOMPARE(frame.toWire(), wire);
    QCOMPARE(check(frame.payload, wire), QString());
    QCOMPARE(reader.next(frame), MessageReader::Status::NeedMore);
    QCOMPARE(reader.buffered(), qsizetype(0));
}

void TestProtocol::roundTrip() {
    QFETCH(QByteArray, wire);
    QFETCH(bool, untyped);
    QFETCH(Checker, check);
    checkSingleFrame(wire, untyped, check);
}

void TestProtocol::wireBytes() {
    QFETCH(QByteArray, wire);
    QFETCH(bool, untyped);
    QFETCH(Checker, check);
    checkSingleFrame(wire, untyped, check);
}

void TestProtocol::fragmented() {
    QFETCH(QByteArray, wire);
    QFETCH(bool, untyped);
    QFETCH(Checker, check);

    MessageReader reader(modeFor(untyped));
    Frame frame;
    for (qsizetype i = 0; i + 1 < wire.size(); ++i) {
        reader.feed(wire.sliced(i, 1));
        if (reader.next(frame) != MessageReader::Status::NeedMore)
            QFAIL(qPrintable(QStringLiteral("a frame or error after %1 of %2 bytes").arg(i + 1).arg(wire.size())));
    }
    reader.feed(wire.sliced(wire.size() - 1));
    QCOMPARE(reader.next(frame), MessageReader::Status::Frame);
    QCOMPARE(frame.toWire(), wire);
    QCOMPARE(check(frame.payload, wire), QString());
    QCOMPARE(reader.next(frame), MessageReader::Status::NeedMore);
}

void TestProtocol::truncatedPayloads() {
    QFETCH(QByteArray, wire);
    QFETCH(bool, untyped);
    const QByteArray payload = wire.sliced(untyped ? lengthWordSize : typedHeaderSize);

    // Every prefix, and the payload with a stray byte appended, through every decoder: each must fail with a
    // text or decode to exactly its input. Huge payloads get a sample of cut points, not all of them.
    const qsizetype step = payload.size() > 4096 ? payload.size() / 64 : 1;
    for (qsizetype cut = 0; cut <= payload.size(); cut += step)
        QCOMPARE(checkAllDecoders(payload.first(cut)), QString());
    QCOMPARE(checkAllDecoders(payload.last(qMin<qsizetype>(payload.size(), 16))), QString());
    QCOMPARE(checkAllDecoders(QByteArray(payload + '\x01')), QString());
    QCOMPARE(checkAllDecoders(QByteArray(payload + '\0')), QString());
}

void TestProtocol::stream_data() {
    QTest::addColumn<int>("chunkSize");
    for (const int size : {1, 2, 3, 5, 7, 64, 100000})
        QTest::addRow("chunks of %d", size) << size;
}

void TestProtocol::stream() {
    QFETCH(int, chunkSize);

    // A client's opening as psql sends it, then an extended-protocol pipeline.
    const QList<QByteArray> messages = {SslRequest{}.encode(),
                                        psqlStartup().encode(),
                                        Parse{"s1", "SELECT $1::int", {}}.encode(),
                                        Bind{"", "s1", {}, {QByteArray("7")}, {}}.encode(),
                                        Describe{ObjectKind::Portal, ""}.encode(),
                                        Execute{"", 0}.encode(),
                                        Sync{}.encode(),
                                        Query{"SELECT 2"}.encode(),
                                        Terminate{}.encode()};
    QByteArray bytes;
    for (const QByteArray &message : messages)
        bytes += message;

    MessageReader reader(MessageReader::Mode::Startup);
    QList<QByteArray> seen;
    for (qsizetype offset = 0; offset < bytes.size(); offset += chunkSize) {
        reader.feed(bytes.sliced(offset, qMin<qsizetype>(chunkSize, bytes.size() - offset)));
        Frame frame;
        MessageReader::Status status;
        while ((status = reader.next(frame)) == MessageReader::Status::Frame) {
            seen << frame.toWire();
            // The session's job, done here by hand: after a StartupMessage the stream is typed.
            if (frame.isUntyped()) {
                const Result<StartupPacket> packet = decodeStartupPacket(frame.payload);
                QVERIFY2(packet.ok(), qPrintable(packet.error()));
                if (std::holds_alternative<StartupMessage>(*packet))
                    reader.setMode(MessageReader::Mode::Typed);
            }
        }
        QCOMPARE(status, MessageReader::Status::NeedMore);
    }
    QCOMPARE(seen, messages);
    QCOMPARE(reader.buffered(), qsizetype(0));
}

void TestProtocol::framingErrors() {
    QFETCH(QByteArray, bytes);
    QFETCH(bool, startup);
    QFETCH(int, maxMessageLength);
    QFETCH(QString, error);

    MessageReader::Limits limits;
    limits.maxMessageLength = maxMessageLength;
    MessageReader reader(modeFor(startup), limits);
    // Only the header is fed: the error must not wait for a body a hostile peer will never send.
    reader.feed(bytes);
    Frame frame;
    QCOMPARE(reader.next(frame), MessageReader::Status::Error);
    QVERIFY2(reader.error().contains(error), qPrintable(reader.error()));
    // Framing is lost for good: later bytes are ignored and every call reports the same error.
    reader.feed(Sync{}.encode());
    QCOMPARE(reader.next(frame), MessageReader::Status::Error);
    QCOMPARE(reader.buffered(), qsizetype(0));
}

void TestProtocol::framingLimits() {
    Frame frame;
    {
        MessageReader::Limits limits;
        limits.maxMessageLength = 100;
        MessageReader reader(MessageReader::Mode::Typed, limits);
        const QByteArray atLimit = CopyData{QByteArray(100, 'x')}.encode();
        reader.feed(atLimit);
        QCOMPARE(reader.next(frame), MessageReader::Status::Frame);
        QCOMPARE(frame.payload.size(), qsizetype(100));
    }
    {
        // The largest startup packet Postgres accepts: 10000 payload bytes.
        StartupMessage big;
        big.parameters = {{"options", QByteArray(10000 - 4 - 8 - 1 - 1, 'o')}};
        const QByteArray wire = big.encode();
        QCOMPARE(wire.size(), qsizetype(10004));
        MessageReader reader(MessageReader::Mode::Startup);
        reader.feed(wire);
        QCOMPARE(reader.next(frame), MessageReader::Status::Frame);
        QVERIFY(StartupMessage::decode(frame.payload).value() == big);

        big.parameters.first().second += 'o';
        MessageReader tooBig(MessageReader::Mode::Startup);
        tooBig.feed(big.encode());
        QCOMPARE(tooBig.next(frame), MessageReader::Status::Error);
    }
    {
        // Postgres' own ceiling is available for a caller that wants it.
        MessageReader::Limits limits;
        limits.maxMessageLength = postgresMaxMessageLength;
        MessageReader reader(MessageReader::Mode::Typed, limits);
        reader.feed(hex("64 3fffffff"));
        QCOMPARE(reader.next(frame), MessageReader::Status::NeedMore);
        MessageReader over(MessageReader::Mode::Typed, limits);
        over.feed(hex("64 40000004"));
        QCOMPARE(over.next(frame), MessageReader::Status::Error);
    }
}

void TestProtocol::decodeErrors() {
    QFETCH(QString, decoder);
    QFETCH(QByteArray, payload);
    QFETCH(QString, error);

    const Decoder *found = findDecoder(decoder);
    QVERIFY2(found, qPrintable(decoder));
    const Decoded decoded = found->decode(payload);
    QVERIFY2(!decoded.ok, "hostile payload decoded");
    QVERIFY2(decoded.error.contains(error), qPrintable(decoded.error));
}

void TestProtocol::helpers() {
    const StartupMessage startup = psqlStartup();
    QCOMPARE(startup.value("user"), QByteArray("postgres"));
    QVERIFY(startup.value("options").isNull());
    QCOMPARE(startup.majorVersion(), 3);
    const StartupMessage newer{makeProtocolVersion(3, 2), {}};
    QCOMPARE(newer.minorVersion(), 2);
    QCOMPARE(sslRequestCode, 80877103);
    QCOMPARE(gssEncRequestCode, 80877104);
    QCOMPARE(cancelRequestCode, 80877102);

    ErrorFields fields = divisionByZero();
    QCOMPARE(fields.severity(), QByteArray("ERROR"));
    QCOMPARE(fields.value(field::severityNonLocalized), QByteArray("ERROR"));
    QCOMPARE(fields.sqlState(), QByteArray("22012"));
    QCOMPARE(fields.message(), QByteArray("division by zero"));
    QVERIFY(!fields.contains(field::hint));
    QVERIFY(fields.value(field::hint).isNull());
    const qsizetype count = fields.fields().size();
    fields.set(field::message, "replaced");
    QCOMPARE(fields.fields().size(), count);
    QCOMPARE(fields.message(), QByteArray("replaced"));
    fields.set(field::hint, "added");
    QVERIFY(fields.fields().last() == ErrorFields::Field(field::hint, "added"));

    QCOMPARE(frontendMessageName('D'), QStringLiteral("Describe"));
    QCOMPARE(backendMessageName('D'), QStringLiteral("DataRow"));
    QCOMPARE(frontendMessageName('\0'), QStringLiteral("startup packet"));
    QCOMPARE(backendMessageName('\x7f'), QStringLiteral("unknown backend message 0x7f"));
    QCOMPARE(describeType('Q'), QStringLiteral("'Q'"));
}

QTEST_GUILESS_MAIN(TestProtocol)
// BindNames (the relay's Bind check) accepts exactly what Bind::decode() accepts, every truncation and
// extension of a valid Bind included, and finds the same names.
void TestProtocol::bindNames() {
    Bind many;
    many.statement = "stmt";
    for (int i = 0; i < 300; ++i)
        many.parameters.append(i % 3 ? std::optional<QByteArray>(QByteArray::number(i)) : std::nullopt);
    const QList<Bind> binds{Bind{}, Bind{"p1", "s1", {0, 1}, {QByteArray("42"), std::nullopt, QByteArray("")}, {0, 1}},
                            Bind{"", "P_0", {1}, {QByteArray(4, '\1')}, {1}}, many};
    for (const Bind &bind : binds) {
        const QByteArray wire = bind.encode();
        const QByteArray payload = wire.mid(5);
        for (qsizetype size = 0; size <= payload.size() + 1; ++size) {
            const QByteArray cut = size <= payload.size() ? payload.first(size) : payload + '\0';
            const Result<Bind> full = Bind::decode(cut);
            const Result<BindNames> names = BindNames::decode(cut);
            QCOMPARE(names.ok(), full.ok());
            if (full.ok()) {
                QCOMPARE(names->portal, QByteArrayView(full->portal));
                QCOMPARE(names->statement, QByteArrayView(full->statement));
            }
        }
    }
    // A negative length other than -1 (NULL) is refused by both.
    const QByteArray badLength = QByteArray("\0s\0\0\0\0\1\xff\xff\xff\xfe\0\0", 13);
    QVERIFY(!Bind::decode(badLength).ok());
    QVERIFY(!BindNames::decode(badLength).ok());
}

#include "tst_protocol.moc"
