#pragma once

#include <QObject>
#include <QPointer>

#include <type_traits>
#include <utility>

namespace hubsync {

// Wraps a callback that works on `object` so that it does nothing once the object is destroyed:
// asynchronous replies may outlive their requester. The callback receives the object as its first
// argument. The liveness check and the call use separate pointers on purpose: GCC 12's
// -Wnull-dereference misreads `if (qpointer) qpointer->member` at -O2 and reports a null deref.
template <typename T, typename Fn>
requires std::is_base_of_v<QObject, T>
auto whileAlive(T *object, Fn fn) {
    return [guard = QPointer<T>(object), object, fn = std::move(fn)](auto &&...args) mutable {
        if (!guard.isNull())
            fn(*object, std::forward<decltype(args)>(args)...);
    };
}

} // namespace hubsync
