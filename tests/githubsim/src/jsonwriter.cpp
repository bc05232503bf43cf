#include "jsonwriter.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <ctime>

namespace hubsync::githubsim {

void JsonWriter::separate() {
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (!m_first.isEmpty()) {
        if (!m_first.last())
            m_out->append(',');
        m_first.last() = false;
    }
}

JsonWriter &JsonWriter::open(char c) {
    separate();
    m_out->append(c);
    m_first.append(true);
    return *this;
}

JsonWriter &JsonWriter::close(char c) {
    m_out->append(c);
    if (!m_first.isEmpty())
        m_first.removeLast();
    return *this;
}

JsonWriter &JsonWriter::key(const char *name) {
    separate();
    m_out->append('"').append(name).append("\":");
    m_afterKey = true;
    return *this;
}

JsonWriter &JsonWriter::key(const QString &name) {
    separate();
    escape(m_out, name.toUtf8());
    m_out->append(':');
    m_afterKey = true;
    return *this;
}

void JsonWriter::escape(QByteArray *out, const QByteArray &utf8) {
    static const char hex[] = "0123456789abcdef";
    out->append('"');
    for (const char ch : utf8) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out->append("\\\"");
            break;
        case '\\':
            out->append("\\\\");
            break;
        case '\n':
            out->append("\\n");
            break;
        case '\r':
            out->append("\\r");
            break;
        case '\t':
            out->append("\\t");
            break;
        default:
            if (c < 0x20) {
                out->append("\\u00");
                out->append(hex[c >> 4]);
                out->append(hex[c & 15]);
            } else {
                out->append(ch);
            }
        }
    }
    out->append('"');
}

JsonWriter &JsonWriter::value(const QString &text) {
    separate();
    escape(m_out, text.toUtf8());
    return *this;
}

JsonWriter &JsonWriter::value(const char *ascii) {
    separate();
    escape(m_out, QByteArray(ascii));
    return *this;
}

JsonWriter &JsonWriter::value(qint64 number) {
    separate();
    m_out->append(QByteArray::number(number));
    return *this;
}

JsonWriter &JsonWriter::value(bool flag) {
    separate();
    m_out->append(flag ? "true" : "false");
    return *this;
}

JsonWriter &JsonWriter::null() {
    separate();
    m_out->append("null");
    return *this;
}

JsonWriter &JsonWriter::raw(const QByteArray &encoded) {
    separate();
    m_out->append(encoded);
    return *this;
}

JsonWriter &JsonWriter::value(const QJsonValue &json) {
    switch (json.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return null();
    case QJsonValue::Bool:
        return value(json.toBool());
    case QJsonValue::String:
        return value(json.toString());
    case QJsonValue::Double: {
        const double d = json.toDouble();
        if (d == double(qint64(d)))
            return value(qint64(d));
        separate();
        m_out->append(QByteArray::number(d, 'g', 17));
        return *this;
    }
    case QJsonValue::Array:
        return raw(QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return raw(QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact));
    }
    return null();
}

JsonWriter &JsonWriter::time(const char *name, qint64 secs) {
    key(name);
    if (secs <= 0)
        return null();
    separate();
    m_out->append('"').append(isoTime(secs)).append('"');
    return *this;
}

QByteArray isoTime(qint64 secs) {
    // gmtime_r is an order of magnitude faster than QDateTime for the hot rendering path.
    const std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[32];
    const int n = std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return QByteArray(buffer, n);
}

qint64 parseIsoTime(const QString &text) {
    QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!t.isValid())
        t = QDateTime::fromString(text, Qt::ISODate);
    if (!t.isValid())
        return -1;
    if (t.timeSpec() == Qt::LocalTime)
        t.setTimeSpec(Qt::UTC); // GitHub reads a zone-less timestamp as UTC
    return t.toSecsSinceEpoch();
}

} // namespace hubsync::githubsim
