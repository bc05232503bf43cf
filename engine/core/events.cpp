#include "core/events.h"

namespace hubsync {

QString stateName(EngineStatus::State state) {
    switch (state) {
    case EngineStatus::State::Stopped:
        return QStringLiteral("stopped");
    case EngineStatus::State::Starting:
        return QStringLiteral("starting");
    case EngineStatus::State::Backfilling:
        return QStringLiteral("backfilling");
    case EngineStatus::State::Live:
        return QStringLiteral("live");
    case EngineStatus::State::Failed:
        return QStringLiteral("failed");
    }
    return {};
}

} // namespace hubsync
