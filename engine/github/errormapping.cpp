#include "github/errormapping.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

namespace hubsync::github {

namespace {

constexpr qsizetype MaxErrorBodyBytes = 256 * 1024;
constexpr qsizetype MaxMessageChars = 1024;
constexpr qsizetype MaxDetailChars = 4096;

QString bounded(QString text, qsizetype max) {
    if (text.size() > max) {
        text.truncate(max);
        text += QStringLiteral("…");
    }
    return text;
}

struct ErrorBody {
    QString message;
    QString documentationUrl;
    QJsonArray errors;
};

ErrorBody parseBody(const QByteArray &body) {
    ErrorBody b;
    if (body.isEmpty() || body.size() > MaxErrorBodyBytes)
        return b;
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (!doc.isObject())
        return b;
    const QJsonObject o = doc.object();
    b.message = bounded(o.value(QLatin1String("message")).toString(), MaxMessageChars);
    b.documentationUrl = bounded(o.value(QLatin1String("documentation_url")).toString(), 512);
    b.errors = o.value(QLatin1String("errors")).toArray();
    return b;
}

QString orDefault(const QString &message, const QString &fallback) {
    return message.isEmpty() ? fallback : message;
}

} // namespace

Error mapHttpError(int httpStatus, const QByteArray &body) {
    using K = Error::Kind;
    if ((httpStatus >= 200 && httpStatus < 300) || httpStatus == 304)
        return Error::none();
    const ErrorBody b = parseBody(body);
    switch (httpStatus) {
    case 401:
        return Error::make(K::GitHubAuth, orDefault(b.message, QStringLiteral("Bad credentials")), httpStatus,
                           b.documentationUrl);
    case 403:
        return Error::make(K::GitHubPermission, orDefault(b.message, QStringLiteral("Forbidden")), httpStatus,
                           b.documentationUrl);
    case 404:
        return Error::make(K::GitHubNotFound, orDefault(b.message, QStringLiteral("Not Found")), httpStatus,
                           b.documentationUrl);
    case 410:
        return Error::make(K::GitHubGone, orDefault(b.message, QStringLiteral("Gone")), httpStatus, b.documentationUrl);
    case 422: {
        const QString errors =
            b.errors.isEmpty() ? QString() : QString::fromUtf8(QJsonDocument(b.errors).toJson(QJsonDocument::Compact));
        return Error::make(K::GitHubValidation, orDefault(b.message, QStringLiteral("Validation Failed")), httpStatus,
                           bounded(errors, MaxDetailChars));
    }
    case 429:
        return Error::make(K::GitHubRateLimited, orDefault(b.message, QStringLiteral("Too Many Requests")), httpStatus,
                           b.documentationUrl);
    default:
        break;
    }
    if (httpStatus >= 500)
        return Error::make(K::GitHubUnavailable,
                           QStringLiteral("GitHub answered HTTP %1%2")
                               .arg(httpStatus)
                               .arg(b.message.isEmpty() ? QString() : QString(QStringLiteral(": ") + b.message)),
                           httpStatus);
    if (httpStatus >= 400)
        return Error::make(K::GitHubValidation,
                           orDefault(b.message, QStringLiteral("GitHub refused the request (HTTP %1)").arg(httpStatus)),
                           httpStatus, b.documentationUrl);
    return Error::make(K::Internal, QStringLiteral("unexpected HTTP status %1 from GitHub").arg(httpStatus),
                       httpStatus);
}

Error mapGraphqlErrors(const QJsonArray &errors) {
    using K = Error::Kind;
    if (errors.isEmpty())
        return Error::none();
    QStringList messages;
    K kind = K::GitHubValidation;
    bool kindSet = false;
    for (const QJsonValue &value : errors) {
        const QJsonObject e = value.toObject();
        const QString message = e.value(QLatin1String("message")).toString();
        if (!message.isEmpty() && messages.size() < 5)
            messages.append(bounded(message, 300));
        if (kindSet)
            continue; // the first typed error decides the kind
        const QString type = e.value(QLatin1String("type")).toString();
        if (type == QLatin1String("NOT_FOUND"))
            kind = K::GitHubNotFound;
        else if (type == QLatin1String("FORBIDDEN") || type == QLatin1String("INSUFFICIENT_SCOPES"))
            kind = K::GitHubPermission;
        else if (type == QLatin1String("RATE_LIMITED"))
            kind = K::GitHubRateLimited;
        else if (type == QLatin1String("UNAUTHENTICATED"))
            kind = K::GitHubAuth;
        else if (type == QLatin1String("SERVICE_UNAVAILABLE") || type == QLatin1String("TIMEOUT"))
            kind = K::GitHubUnavailable;
        else if (type.isEmpty())
            continue;
        kindSet = true;
    }
    const QString detail = QString::fromUtf8(QJsonDocument(errors).toJson(QJsonDocument::Compact));
    return Error::make(kind, messages.isEmpty() ? QStringLiteral("GraphQL error") : messages.join(QStringLiteral("; ")),
                       200, bounded(detail, MaxDetailChars));
}

bool isGraphqlRateLimited(const QJsonArray &errors) {
    for (const QJsonValue &value : errors) {
        if (value.toObject().value(QLatin1String("type")).toString() == QLatin1String("RATE_LIMITED"))
            return true;
    }
    return false;
}

} // namespace hubsync::github
