#pragma once

// A QThread owned by a unique_ptr: on destruction its event loop is asked to quit and waited for, so the
// objects living on it are gone before the owner's other members are.

#include <QThread>

#include <memory>

namespace hubsync {

struct QuitAndWait {
    void operator()(QThread *thread) const {
        thread->quit();
        thread->wait();
        delete thread;
    }
};

using OwnedThread = std::unique_ptr<QThread, QuitAndWait>;

} // namespace hubsync
