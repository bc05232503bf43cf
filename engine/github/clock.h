#pragma once

#include <QtGlobal>

namespace hubsync::github {

// Wall-clock time in milliseconds since the epoch. Injected wherever GitHub's epoch-second headers
// (X-RateLimit-Reset, token expires_at, JWT iat/exp) are compared with "now", so tests can move time
// with a mock instead of sleeping.
class Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual qint64 nowMs() const = 0;
};

class SystemClock final : public Clock {
public:
    [[nodiscard]] qint64 nowMs() const override;
};

} // namespace hubsync::github
