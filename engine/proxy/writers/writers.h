#pragma once

// The table writers (tablewriter.h): one unit per table the proxy writes through to GitHub.

#include "proxy/tablewriter.h"

#include <memory>
#include <vector>

namespace hubsync::proxy {

std::unique_ptr<TableWriter> makeIssueWriter();
std::unique_ptr<TableWriter> makeCommentWriter();
std::unique_ptr<TableWriter> makeLabelWriter();
std::unique_ptr<TableWriter> makeReleaseWriter();
std::unique_ptr<TableWriter> makeReactionWriter();
std::unique_ptr<TableWriter> makeIssueLabelWriter();
std::unique_ptr<TableWriter> makePullRequestLabelWriter();
std::unique_ptr<TableWriter> makeRefWriter();
std::unique_ptr<TableWriter> makePullRequestWriter();
std::unique_ptr<TableWriter> makeDiscussionWriter();
std::unique_ptr<TableWriter> makeDiscussionCommentWriter();

// Every writer, in the order the docs list them. Writers hold no state: one set serves every WriteThrough.
const std::vector<std::unique_ptr<TableWriter>> &tableWriters();
// The writer of `table`, or nullptr when the proxy does not write it through.
const TableWriter *tableWriter(const QString &table);

} // namespace hubsync::proxy
