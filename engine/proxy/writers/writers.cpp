#include "proxy/writers/writers.h"

namespace hubsync::proxy {

namespace {

std::vector<std::unique_ptr<TableWriter>> makeTableWriters() {
    std::vector<std::unique_ptr<TableWriter>> writers;
    writers.push_back(makeIssueWriter());
    writers.push_back(makePullRequestWriter());
    writers.push_back(makeCommentWriter());
    writers.push_back(makeLabelWriter());
    writers.push_back(makeReleaseWriter());
    writers.push_back(makeReactionWriter());
    writers.push_back(makeIssueLabelWriter());
    writers.push_back(makePullRequestLabelWriter());
    writers.push_back(makeRefWriter());
    writers.push_back(makeDiscussionWriter());
    writers.push_back(makeDiscussionCommentWriter());
    return writers;
}

} // namespace

const std::vector<std::unique_ptr<TableWriter>> &tableWriters() {
    static const std::vector<std::unique_ptr<TableWriter>> writers = makeTableWriters();
    return writers;
}

const TableWriter *tableWriter(const QString &table) {
    for (const auto &writer : tableWriters())
        if (writer->table() == table)
            return writer.get();
    return nullptr;
}

} // namespace hubsync::proxy
