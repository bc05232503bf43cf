#pragma once

#include <QString>

namespace hubsync {

// Process exit codes of the command-line contract (DESIGN.md).
enum class ExitCode : int {
    Ok = 0,
    Failure = 1,    // anything not covered below (a bug, an unexpected I/O failure)
    Usage = 2,      // bad command line or configuration
    GitHubAuth = 3, // GitHub refused our credentials or lacks a permission
    Database = 4,   // the database is unreachable or refused an operation
};

// One error value used across the engine. It carries enough context to be shown to a user, mapped to an
// exit code in service mode, or mapped to a SQLSTATE by the proxy.
struct Error {
    enum class Kind {
        None,
        Usage,
        GitHubAuth,       // 401, or a token/key we cannot use
        GitHubPermission, // 403 "Resource not accessible by integration" and friends
        GitHubNotFound,   // 404
        GitHubGone,       // 410 (e.g. issues disabled on a repository)
        GitHubValidation, // 422
        GitHubRateLimited,
        GitHubUnavailable, // 5xx, timeouts, unreachable
        Database,
        Io,
        Internal,
    };

    Kind kind = Kind::None;
    QString message;
    int httpStatus = 0;
    QString detail;

    [[nodiscard]] bool isError() const { return kind != Kind::None; }
    explicit operator bool() const { return isError(); }

    static Error none() { return {}; }
    static Error make(Kind k, QString msg, int status = 0, QString detailText = {}) {
        return Error{k, std::move(msg), status, std::move(detailText)};
    }
};

ExitCode exitCodeFor(const Error &error);
QString kindName(Error::Kind kind);

} // namespace hubsync
