#include "core/errors.h"

namespace hubsync {

ExitCode exitCodeFor(const Error &error) {
    switch (error.kind) {
    case Error::Kind::None:
        return ExitCode::Ok;
    case Error::Kind::Usage:
        return ExitCode::Usage;
    case Error::Kind::GitHubAuth:
    case Error::Kind::GitHubPermission:
    case Error::Kind::GitHubNotFound:
    case Error::Kind::GitHubGone:
        return ExitCode::GitHubAuth;
    case Error::Kind::Database:
        return ExitCode::Database;
    case Error::Kind::GitHubValidation:
    case Error::Kind::GitHubRateLimited:
    case Error::Kind::GitHubUnavailable:
    case Error::Kind::Io:
    case Error::Kind::Internal:
        return ExitCode::Failure;
    }
    return ExitCode::Failure;
}

QString kindName(Error::Kind kind) {
    switch (kind) {
    case Error::Kind::None:
        return QStringLiteral("none");
    case Error::Kind::Usage:
        return QStringLiteral("usage");
    case Error::Kind::GitHubAuth:
        return QStringLiteral("github-auth");
    case Error::Kind::GitHubPermission:
        return QStringLiteral("github-permission");
    case Error::Kind::GitHubNotFound:
        return QStringLiteral("github-not-found");
    case Error::Kind::GitHubGone:
        return QStringLiteral("github-gone");
    case Error::Kind::GitHubValidation:
        return QStringLiteral("github-validation");
    case Error::Kind::GitHubRateLimited:
        return QStringLiteral("github-rate-limited");
    case Error::Kind::GitHubUnavailable:
        return QStringLiteral("github-unavailable");
    case Error::Kind::Database:
        return QStringLiteral("database");
    case Error::Kind::Io:
        return QStringLiteral("io");
    case Error::Kind::Internal:
        return QStringLiteral("internal");
    }
    return QStringLiteral("unknown");
}

} // namespace hubsync
