#pragma once

#include <QtGlobal>

namespace hubsync::sync {

// GitHub's two rate budgets: REST requests and GraphQL points, separate pools of their own size per window.
enum class Pool { Rest, Graphql };

struct PoolState {
    qint64 remaining = -1; // -1: not known yet (nothing spent from it in this run)
    qint64 limit = -1;
    qint64 resetEpoch = 0;

    // Takes what one answer's X-RateLimit-* headers said (remaining < 0: they said nothing).
    void note(qint64 answerRemaining, qint64 answerLimit, qint64 answerReset) {
        if (answerRemaining < 0)
            return;
        remaining = answerRemaining;
        resetEpoch = answerReset;
        if (answerLimit > 0)
            limit = answerLimit;
    }
};

// The pool with the larger share of its budget left: work that either API can do goes there, so that
// both pools run out together and a backfill ends when they do. A pool not heard from yet counts as full;
// on a tie GraphQL wins (its pages carry more along).
[[nodiscard]] inline Pool poolWithMoreLeft(PoolState rest, PoolState graphql) {
    const auto left = [](PoolState p) {
        return p.remaining >= 0 && p.limit > 0 ? double(p.remaining) / double(p.limit) : 1.0;
    };
    return left(graphql) >= left(rest) ? Pool::Graphql : Pool::Rest;
}

} // namespace hubsync::sync
