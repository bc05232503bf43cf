#pragma once

#include "core/errors.h"

#include <QByteArray>
#include <QJsonArray>

namespace hubsync::github {

// Maps a final HTTP status and GitHub's error body ({message, documentation_url, errors[]}) to an Error.
// 2xx and 304 map to no error. Rate limits are not final (the client waits for them) and never reach
// here unless the wait was refused. 422 keeps errors[] (compact JSON) in `detail` for the proxy's DETAIL.
// Other 4xx (400, 409, ...) map to GitHubValidation with httpStatus set so callers can tell them apart.
Error mapHttpError(int httpStatus, const QByteArray &body);

// GraphQL answers HTTP 200 with errors[] ({type, message, path}); NOT_FOUND, FORBIDDEN and friends map
// like their REST counterparts. No error when the array is empty.
Error mapGraphqlErrors(const QJsonArray &errors);

// True when errors[] says the GraphQL budget is spent (type RATE_LIMITED): wait, don't fail.
bool isGraphqlRateLimited(const QJsonArray &errors);

} // namespace hubsync::github
