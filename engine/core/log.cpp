#include "core/log.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

namespace hubsync {

namespace {

QString levelName(Log::Level level) {
    switch (level) {
    case Log::Level::Debug:
        return QStringLiteral("debug");
    case Log::Level::Info:
        return QStringLiteral("info");
    case Log::Level::Warning:
        return QStringLiteral("warning");
    case Log::Level::Error:
        return QStringLiteral("error");
    }
    return QStringLiteral("info");
}

} // namespace

Log &Log::instance() {
    static Log log;
    return log;
}

Log::Log()
    : m_writer([](const QString &line) {
        const QByteArray bytes = line.toUtf8() + '\n';
        std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stderr);
        std::fflush(stderr);
    }) {}

void Log::setFormat(Format format) {
    const std::lock_guard lock(m_mutex);
    m_format = format;
}

void Log::setMinimumLevel(Level level) {
    const std::lock_guard lock(m_mutex);
    m_minimum = level;
}

void Log::setWriter(Writer writer) {
    const std::lock_guard lock(m_mutex);
    m_writer = std::move(writer);
}

void Log::addSecret(const QString &secret) {
    // Very short strings would redact ordinary words; real secrets are long.
    if (secret.size() < 6)
        return;
    const std::lock_guard lock(m_mutex);
    if (!m_secrets.contains(secret))
        m_secrets << secret;
}

QString Log::redact(QString text) const {
    for (const QString &secret : m_secrets)
        text.replace(secret, QStringLiteral("***"));
    return text;
}

QString Log::format(Level level, const QString &category, const QString &message, const QVariantMap &fields) const {
    const QString time = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    if (m_format == Format::Json) {
        QJsonObject object = QJsonObject::fromVariantMap(fields);
        object.insert(QStringLiteral("time"), time);
        object.insert(QStringLiteral("level"), levelName(level));
        object.insert(QStringLiteral("category"), category);
        object.insert(QStringLiteral("message"), message);
        return redact(QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact)));
    }
    QString line =
        time + QLatin1Char(' ') + levelName(level) + QLatin1Char(' ') + category + QStringLiteral(": ") + message;
    for (auto it = fields.cbegin(); it != fields.cend(); ++it)
        line += QLatin1Char(' ') + it.key() + QLatin1Char('=') + it.value().toString();
    return redact(line);
}

void Log::write(Level level, const QString &category, const QString &message, const QVariantMap &fields) {
    const std::lock_guard lock(m_mutex);
    if (level < m_minimum)
        return;
    m_writer(format(level, category, message, fields));
}

} // namespace hubsync
