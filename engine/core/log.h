#pragma once

#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <functional>
#include <mutex>

namespace hubsync {

// The one process-wide log sink (the only singleton DESIGN.md allows). Thread-safe. Registered secrets
// are replaced by "***" in every line, so a token that reaches a message by accident is never written.
class Log final {
public:
    enum class Level { Debug, Info, Warning, Error };
    enum class Format { Text, Json };
    using Writer = std::function<void(const QString &line)>;

    static Log &instance();

    void setFormat(Format format);
    void setMinimumLevel(Level level);
    void setWriter(Writer writer); // default: stderr
    void addSecret(const QString &secret);

    void write(Level level, const QString &category, const QString &message, const QVariantMap &fields = {});

    // Renders one line without writing it (used by write() and by tests).
    QString format(Level level, const QString &category, const QString &message, const QVariantMap &fields) const;

private:
    Log();
    QString redact(QString text) const;

    mutable std::mutex m_mutex;
    Format m_format = Format::Text;
    Level m_minimum = Level::Info;
    Writer m_writer;
    QStringList m_secrets;
};

inline void logInfo(const QString &category, const QString &message, const QVariantMap &fields = {}) {
    Log::instance().write(Log::Level::Info, category, message, fields);
}
inline void logWarning(const QString &category, const QString &message, const QVariantMap &fields = {}) {
    Log::instance().write(Log::Level::Warning, category, message, fields);
}
inline void logError(const QString &category, const QString &message, const QVariantMap &fields = {}) {
    Log::instance().write(Log::Level::Error, category, message, fields);
}
inline void logDebug(const QString &category, const QString &message, const QVariantMap &fields = {}) {
    Log::instance().write(Log::Level::Debug, category, message, fields);
}

} // namespace hubsync
