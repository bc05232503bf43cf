#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QString>
#include <QVarLengthArray>

namespace hubsync::githubsim {

// Streams JSON into a byte buffer in the order fields are written. GitHub's bodies keep a fixed key
// order (QJsonObject would sort keys), and serving a 100-item page must cost well under a millisecond
// per item, so the simulator renders its REST bodies with this writer instead of building QJsonObjects.
class JsonWriter final {
public:
    explicit JsonWriter(QByteArray *out)
        : m_out(out) {}

    JsonWriter &beginObject() { return open('{'); }
    JsonWriter &endObject() { return close('}'); }
    JsonWriter &beginArray() { return open('['); }
    JsonWriter &endArray() { return close(']'); }

    JsonWriter &key(const char *name); // name: ASCII without characters that need escaping
    JsonWriter &key(const QString &name);

    JsonWriter &value(const QString &text);
    JsonWriter &value(const char *ascii);
    JsonWriter &value(qint64 number);
    JsonWriter &value(int number) { return value(qint64(number)); }
    JsonWriter &value(bool flag);
    JsonWriter &value(const QJsonValue &json);
    JsonWriter &null();
    // A value that is already encoded JSON (a cached sub-object).
    JsonWriter &raw(const QByteArray &encoded);

    // Shorthands for "key": value.
    template <typename T>
    JsonWriter &field(const char *name, const T &v) {
        key(name);
        return value(v);
    }
    JsonWriter &nullField(const char *name) { return key(name).null(); }
    // Writes a timestamp (seconds since the epoch, UTC) as ISO-8601 with Z, or null when 0.
    JsonWriter &time(const char *name, qint64 secs);

    static void escape(QByteArray *out, const QByteArray &utf8);

private:
    JsonWriter &open(char c);
    JsonWriter &close(char c);
    void separate();

    QByteArray *m_out;
    QVarLengthArray<bool, 16> m_first; // per open container: nothing written yet
    bool m_afterKey = false;
};

// Seconds since the epoch -> "2011-04-22T13:33:48Z".
QByteArray isoTime(qint64 secs);
// "2011-04-22T13:33:48Z" (or with offset/millis) -> seconds; -1 when invalid.
qint64 parseIsoTime(const QString &text);

} // namespace hubsync::githubsim
