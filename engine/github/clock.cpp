#include "github/clock.h"

#include <QDateTime>

namespace hubsync::github {

qint64 SystemClock::nowMs() const {
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace hubsync::github
