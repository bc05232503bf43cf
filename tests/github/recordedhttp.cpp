#include "recordedhttp.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <zlib.h>

namespace hubsync::test {

namespace {

QJsonDocument readJson(const QString &relativePath, QString *error) {
    const QString dir = fixturesDir();
    if (dir.isEmpty()) {
        *error = QStringLiteral("HUBSYNC_FIXTURES is not set");
        return {};
    }
    QFile file(dir + QLatin1Char('/') + relativePath);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = file.fileName() + QStringLiteral(": ") + file.errorString();
        return {};
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (doc.isNull())
        *error = file.fileName() + QStringLiteral(": ") + parseError.errorString();
    return doc;
}

QByteArray gunzip(const QByteArray &data) {
    z_stream stream{};
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
        return {};
    QByteArray out;
    char chunk[16384];
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
    stream.avail_in = uInt(data.size());
    int rc = Z_OK;
    do {
        stream.next_out = reinterpret_cast<Bytef *>(chunk);
        stream.avail_out = sizeof chunk;
        rc = inflate(&stream, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            out.clear();
            break;
        }
        out.append(chunk, qsizetype(sizeof chunk - stream.avail_out));
    } while (rc != Z_STREAM_END);
    inflateEnd(&stream);
    return out;
}

QByteArray headerText(const QJsonValue &value) {
    if (value.isArray())
        return value.toArray().first().toVariant().toString().toUtf8();
    return value.toVariant().toString().toUtf8();
}

} // namespace

QString fixturesDir() {
    return qEnvironmentVariable("HUBSYNC_FIXTURES");
}

QList<RecordedExchange> loadNock(const QString &relativePath, QString *error) {
    QList<RecordedExchange> out;
    const QJsonDocument doc = readJson(relativePath, error);
    for (const QJsonValue &v : doc.array()) {
        const QJsonObject o = v.toObject();
        RecordedExchange x;
        x.method = o.value(QLatin1String("method")).toString().toUpper();
        QString scope = o.value(QLatin1String("scope")).toString();
        if (scope.endsWith(QLatin1String(":443")))
            scope.chop(4);
        x.url = scope + o.value(QLatin1String("path")).toString();
        x.status = o.value(QLatin1String("status")).toInt();
        const QJsonArray raw = o.value(QLatin1String("rawHeaders")).toArray();
        for (qsizetype i = 0; i + 1 < raw.size(); i += 2)
            x.headers.append({raw.at(i).toString().toUtf8(), headerText(raw.at(i + 1))});
        const QJsonObject headers = o.value(QLatin1String("headers")).toObject();
        for (auto it = headers.begin(); it != headers.end(); ++it)
            x.headers.append({it.key().toUtf8(), headerText(it.value())});
        const QJsonValue response = o.value(QLatin1String("response"));
        if (response.isString())
            x.body = response.toString().toUtf8();
        else if (response.isObject())
            x.body = QJsonDocument(response.toObject()).toJson(QJsonDocument::Compact);
        else if (response.isArray())
            x.body = QJsonDocument(response.toArray()).toJson(QJsonDocument::Compact);
        out.append(x);
    }
    return out;
}

QList<RecordedExchange> loadCassette(const QString &relativePath, QString *error) {
    QList<RecordedExchange> out;
    const QJsonDocument doc = readJson(relativePath, error);
    for (const QJsonValue &v : doc.object().value(QLatin1String("http_interactions")).toArray()) {
        const QJsonObject request = v.toObject().value(QLatin1String("request")).toObject();
        const QJsonObject response = v.toObject().value(QLatin1String("response")).toObject();
        RecordedExchange x;
        x.method = request.value(QLatin1String("method")).toString().toUpper();
        x.url = request.value(QLatin1String("uri")).toString();
        x.status = response.value(QLatin1String("status")).toObject().value(QLatin1String("code")).toInt();
        const QJsonObject headers = response.value(QLatin1String("headers")).toObject();
        for (auto it = headers.begin(); it != headers.end(); ++it)
            x.headers.append({it.key().toUtf8(), headerText(it.value())});
        const QJsonObject body = response.value(QLatin1String("body")).toObject();
        const QString base64 = body.value(QLatin1String("base64_string")).toString();
        if (!base64.isEmpty()) {
            const QByteArray raw = QByteArray::fromBase64(base64.toLatin1());
            const QByteArray inflated = gunzip(raw);
            x.body = inflated.isEmpty() ? raw : inflated;
        } else {
            x.body = body.value(QLatin1String("string")).toString().toUtf8();
        }
        out.append(x);
    }
    return out;
}

} // namespace hubsync::test
