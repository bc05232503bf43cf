// Session, write-through: a client's INSERT/UPDATE/DELETE on a writable table (<schema>.issue, comment,
// label, release) is applied to GitHub first. Which table it is matters only to WriteThrough.
//
// While write-through runs, the session talks to PostgreSQL itself and the client waits: its further
// messages are held (m_held) and replayed afterwards, and server messages are read whole (m_wtReader)
// instead of being relayed. Each step sends messages that end in exactly one ReadyForQuery (a Query, or
// extended messages and a Sync), so the answers of one step never mix with the next.
//
// One write:
//   1. SAVEPOINT hubsync_wt and set hubsync.capture (the temp table hubsync_capture exists);
//   2. dry run: the client's own statement (its Query, or its Execute after its Bind). The AFTER ROW
//      trigger copies every changed row into pg_temp.hubsync_capture. An error here is the client's
//      error and is relayed as PostgreSQL sent it;
//   3. the captured rows are read and ROLLBACK TO SAVEPOINT undoes the dry run;
//   4. WriteThrough applies the rows to GitHub. A refusal becomes the client's ErrorResponse;
//   5. GitHub's answers are staged in the setting hubsync.answers, hubsync.apply is set, and the client's
//      statement runs again: the BEFORE ROW trigger replaces each row by GitHub's answer, so the
//      statement's own RowDescription/DataRows (RETURNING) and command tag reach the client unchanged
//      in shape, with GitHub's id, number, node_id and timestamps;
//   6. RELEASE SAVEPOINT; COMMIT when the session opened the transaction itself (the client was idle).
// Steps 1-3 go out as one batch, and 5-6 (with the COMMIT) as another: two round trips to PostgreSQL per
// write besides GitHub's. Each step of a batch ends in a Sync of its own so its answers are told apart;
// a failing step leaves the transaction block aborted, so the steps after it fail and change nothing.
// In an extended-protocol segment (messages up to a Sync) holding such an Execute, the client's messages
// before the writing Execute run as one step of the write's first batch (an error skips the rest of the
// segment, as PostgreSQL would), the Execute as the write, and the messages after it as further steps.
// Inside the client's own transaction block the GitHub change cannot be rolled back: a NOTICE says so,
// and when the block ends the table is reconciled with GitHub's answers (WriteThrough::reconcile), so a
// ROLLBACK leaves the table equal to GitHub instead of to the pre-statement state.

#include "core/log.h"
#include "proxy/protocol/copy.h"
#include "proxy/protocol/messages_frontend.h"
#include "proxy/session.h"
#include "proxy/writethrough.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QRandomGenerator>
#include <QTimer>
#include <QtEndian>

namespace hubsync::proxy {

namespace {

const QString category = QStringLiteral("proxy");
constexpr qint32 wtMaxMessage = 256 * 1024 * 1024; // a captured row holds the issue body and raw JSON

QByteArray syncWire() {
    return protocol::Sync{}.encode();
}

// How many messages a buffer of whole frontend messages holds.
qsizetype messageCount(const QByteArray &wire) {
    qsizetype count = 0;
    for (qsizetype at = 0; at + protocol::typedHeaderSize <= wire.size(); ++count)
        at += 1 + qFromBigEndian<qint32>(wire.constData() + at + 1);
    return count;
}

bool hasError(const QList<protocol::Frame> &messages) {
    return std::any_of(messages.cbegin(), messages.cend(),
                       [](const protocol::Frame &f) { return f.type == protocol::ErrorResponse::type; });
}

QByteArray commandTagOf(const protocol::Frame &f) {
    return f.payload.left(f.payload.indexOf('\0'));
}

QByteArray commandTagOf(const QList<protocol::Frame> &messages) {
    for (const protocol::Frame &f : messages)
        if (f.type == protocol::CommandComplete::type)
            return commandTagOf(f);
    return {};
}

bool hasCommandTag(const QList<protocol::Frame> &messages, QByteArrayView tag) {
    return std::any_of(messages.cbegin(), messages.cend(), [tag](const protocol::Frame &f) {
        return f.type == protocol::CommandComplete::type && commandTagOf(f) == tag;
    });
}

// PostgreSQL's WARNING for a BEGIN inside a transaction block.
bool isAlreadyInTransactionWarning(const protocol::Frame &f) {
    if (f.type != protocol::NoticeResponse::type)
        return false;
    const protocol::Result<protocol::NoticeResponse> notice = protocol::NoticeResponse::decode(f.payload);
    return notice && notice->fields.sqlState() == "25001";
}

} // namespace

// The table a write-through statement writes (its Query, or the Parse of its portal's statement).
QString Session::writtenTable(const protocol::Frame &frame) {
    QByteArray sql;
    if (frame.type == protocol::Query::type) {
        if (const protocol::Result<protocol::Query> query = protocol::Query::decode(frame.payload))
            sql = query->sql;
    } else if (const protocol::Result<protocol::Parse> parse = protocol::Parse::decode(frame.payload)) {
        sql = parse->sql;
    }
    return m_host.classifier().classify(sql).table; // cached since the statement arrived
}

bool Session::writeThroughBusy() const {
    return m_wt != nullptr || !m_held.isEmpty();
}

bool Session::isWriteThroughStatement(const QByteArray &statement) const {
    const Classification *c = statement.isEmpty() ? &m_unnamedStatement : preparedStatement(statement);
    return c && c->kind == Classification::Kind::Write;
}

void Session::holdFrame(const protocol::Frame &frame) {
    m_heldBytes += frame.payload.size() + protocol::typedHeaderSize;
    m_held.append(frame);
}

void Session::drainHeld() {
    while (!m_held.isEmpty() && !m_wt && m_state != State::Closing) {
        const protocol::Frame frame = m_held.takeFirst();
        m_heldBytes -= frame.payload.size() + protocol::typedHeaderSize;
        handleClientFrame(frame);
    }
    flushToUpstream();
    flushToClient();
    if (m_held.isEmpty() && !m_wt && m_clientPaused)
        QTimer::singleShot(0, this, &Session::pumpClient);
}

// Where the extended-protocol messages of a client go: with write-through on they wait for their Sync,
// which tells whether the segment writes to issue (see forwardSegment()).
void Session::forwardExtended(const protocol::Frame &frame) {
    if (m_host.writeThrough())
        m_segment.append(frame);
    else
        frame.appendTo(m_toUpstream);
}

void Session::forwardSegment() {
    for (const protocol::Frame &f : std::as_const(m_segment))
        f.appendTo(m_toUpstream);
    m_segment.clear();
    m_segmentWrites.clear();
}

void Session::runSegment(bool owesReady, bool commitAtEnd) {
    QList<protocol::Frame> segment = std::exchange(m_segment, {});
    beginWriteThrough(std::move(segment), false, owesReady, std::exchange(m_segmentWrites, {}), commitAtEnd);
}

void Session::beginWriteThrough(QList<protocol::Frame> frames, bool simple, bool owesReady,
                                QHash<qsizetype, WriteBind> writes, bool commitAtEnd) {
    auto run = std::make_unique<WtRun>();
    run->commitAtEnd = commitAtEnd;
    run->frames = std::move(frames);
    run->writes = std::move(writes);
    run->simple = simple;
    run->owesReady = owesReady;
    run->partlySent = !simple && m_segmentPartlySent;
    if (owesReady)
        m_segmentPartlySent = false; // the client's Sync ends the segment
    m_wt = std::move(run);
    tryStartWriteThrough();
}

// Waits until PostgreSQL has answered everything sent before (pipelined statements) and the server
// stream is between messages.
void Session::tryStartWriteThrough() {
    if (!m_wt || m_wt->started || m_state == State::Closing)
        return;
    const qint64 owed = m_wt->owesReady ? 1 : 0;
    if (m_syncPointsAnswered + owed < m_syncPointsSent || !m_backend.atBoundary() || !m_toUpstream.isEmpty())
        return;
    m_wt->started = true;
    m_wt->status = m_transactionStatus;
    m_wt->began = m_sessionBlock; // an earlier part of the segment left the session's block open
    if (m_wt->status == protocol::TransactionStatus::Failed) {
        // An aborted block refuses every statement anyway: let PostgreSQL say so.
        std::unique_ptr<WtRun> run = std::move(m_wt);
        for (const protocol::Frame &f : std::as_const(run->frames))
            f.appendTo(m_toUpstream);
        if (!run->simple && run->owesReady)
            sendToUpstream(syncWire());
        flushToUpstream();
        drainHeld();
        return;
    }
    m_wtInternal = true;
    m_wtReader = protocol::MessageReader(protocol::MessageReader::Mode::Typed,
                                         protocol::FrameLimits{wtMaxMessage, protocol::postgresMaxStartupLength});
    if (m_wt->partlySent) {
        wtBridge();
        return;
    }
    if (m_wt->status != protocol::TransactionStatus::Idle) {
        wtNext();
        return;
    }
    // An idle client runs in an implicit transaction: the session makes it explicit, so that the
    // segment's steps (each with a Sync of its own) keep their portals and commit together at the end.
    m_wt->began = true;
    m_wt->beginPending = true; // sent with the first batch: no round trip of its own
    wtNext();
}

// A Flush sent the segment's earlier messages on before this run, in the transaction the segment began,
// and their answers may still be coming. One step ends them and keeps the transaction: in an implicit
// transaction the session's BEGIN turns it into a block first (PostgreSQL does so without a warning), so
// the step's Sync commits nothing. What comes back before the session's own answers is the client's.
void Session::wtBridge() {
    // An error was relayed already: PostgreSQL skips to Sync, and the segment has failed.
    const bool failedBefore = m_errorSinceReady;
    const bool implicit = m_wt->status == protocol::TransactionStatus::Idle && !failedBefore;
    const QByteArray step = implicit ? internalStatements({{QByteArrayLiteral("BEGIN"), {}}}) : syncWire();
    const qsizetype ours = messageCount(step) - 1; // each message but the Sync is answered once
    WtBatch batch;
    batch.add(step);
    wtSend(batch, [this, failedBefore, implicit, ours](const WtSteps &steps) {
        QList<protocol::Frame> answers = steps.first();
        const bool ok = !failedBefore && !hasError(answers); // after an error our BEGIN did not run either
        if (ok && implicit) {
            // PostgreSQL warns about our BEGIN when one of the client's opened a block already.
            const qsizetype warned = answers.removeIf(isAlreadyInTransactionWarning);
            answers.resize(std::max<qsizetype>(0, answers.size() - ours));
            m_wt->began = warned == 0;
        }
        if (ok && m_wt->status == protocol::TransactionStatus::Idle) {
            // The client's own messages ended its block: the rest runs in one of the session's.
            m_wt->began = true;
            m_wt->beginPending = true;
        }
        wtRelay(answers, false);
        if (!ok) {
            wtAbort(false);
            return;
        }
        wtNext();
    });
}

// Whether the segment's message at `pos` is the Execute of a write to issue (decided when it arrived:
// the unnamed statement may have been parsed again since). A simple run is one write.
bool Session::isWriteAt(qsizetype pos) const {
    const WtRun &run = *m_wt;
    if (run.simple)
        return true;
    if (!run.writes.contains(pos))
        return false;
    const protocol::Result<protocol::Execute> execute = protocol::Execute::decode(run.frames.at(pos).payload);
    return execute && !run.ranPortals.contains(execute->portal);
}

// The next batch: the session's BEGIN if it is still owed, the client's messages up to the next write
// (one step), and that write's own first steps; or, with no write left, the rest and the completion.
void Session::wtNext() {
    WtRun &run = *m_wt;
    WtBatch batch;
    WtPreSteps pre;
    if (std::exchange(run.beginPending, false)) {
        // Outside the block, so that they outlive its ROLLBACK: created once per session.
        if (!m_wtTablesReady)
            pre.tables = batch.add(internalStatements(tempTableStatements()));
        // Not a simple Query, which would drop the client's unnamed statement (a driver may have parsed
        // it in an earlier segment). The steps behind it rely on the block it opens (a failed step
        // aborts the block instead of committing).
        pre.begin = batch.add(internalStatements({{QByteArrayLiteral("BEGIN"), {}}}));
    }
    QByteArray group;
    while (run.pos < run.frames.size() && !isWriteAt(run.pos)) {
        const protocol::Frame &frame = run.frames.at(run.pos++);
        if (frame.type == protocol::Bind::type && !run.ranPortals.isEmpty())
            if (const protocol::Result<protocol::Bind> bind = protocol::Bind::decode(frame.payload))
                run.ranPortals.remove(bind->portal);
        group += frame.toWire();
    }
    if (!group.isEmpty())
        pre.group = batch.add(group + syncWire());
    if (run.pos < run.frames.size()) {
        const WriteBind bind = run.simple ? WriteBind{} : run.writes.value(run.pos);
        const protocol::Frame statement = run.frames.at(run.pos++);
        wtWrite(std::move(batch), pre, statement, bind);
        return;
    }
    if (batch.steps == 0) {
        wtComplete();
        return;
    }
    wtSend(batch, [this, pre](const WtSteps &steps) {
        if (wtPreSteps(steps, pre))
            wtComplete();
    });
}

// The answers of the steps wtNext() put before a write: relayed to the client (they are its messages);
// false when one failed and the run was aborted.
bool Session::wtPreSteps(const WtSteps &steps, WtPreSteps pre) {
    if (pre.tables >= 0) {
        if (hasError(steps.at(pre.tables))) {
            wtRelayErrors(steps.at(pre.tables));
            wtAbort(false);
            return false;
        }
        m_wtTablesReady = true;
    }
    if (pre.begin >= 0 && hasError(steps.at(pre.begin))) {
        wtRelayErrors(steps.at(pre.begin));
        wtAbort(false);
        return false;
    }
    if (pre.group < 0)
        return true;
    QList<protocol::Frame> shown = steps.at(pre.group);
    if (m_wt->began && hasCommandTag(shown, "BEGIN")) {
        // The client opened its own block inside the one the session opened: from here on it is the
        // client's, left open at the end of the segment. PostgreSQL's warning about it is not the client's.
        m_wt->began = false;
        shown.removeIf(isAlreadyInTransactionWarning);
    }
    wtRelay(shown, false);
    if (hasError(shown)) {
        wtAbort(false);
        return false;
    }
    return true;
}

// The Bind of a write's second run. When the client has parsed the statement's name anew since (the
// unnamed statement, typically), the portal still runs the old statement: it is parsed again under a
// name of the session's, for this run only.
QByteArray Session::rebindWire(const WriteBind &write) {
    const protocol::Result<protocol::Bind> bind = protocol::Bind::decode(write.bind.payload);
    const protocol::Result<protocol::Parse> parse = protocol::Parse::decode(write.parse.payload);
    if (!bind || !parse || m_writeParses.value(bind->statement) == write.parse)
        return write.bind.toWire();
    protocol::Parse again = *parse;
    again.statement = wtName() + QByteArrayLiteral("_rerun");
    protocol::Bind rebound = *bind;
    rebound.statement = again.statement;
    return again.encode() + rebound.encode() +
           protocol::Close{protocol::ObjectKind::Statement, again.statement}.encode();
}

void Session::wtWrite(WtBatch batch, WtPreSteps pre, const protocol::Frame &statement, const WriteBind &bind) {
    // The captured rows are rolled back after each dry run; the DELETE is for rows a client put there
    // itself (or captured with its own SET hubsync.capture). The settings are the session's, whatever
    // the client set.
    const QString table = writtenTable(m_wt->simple ? statement : bind.parse);
    QList<InternalStatement> setup;
    if (!m_wtTablesReady && pre.tables < 0)
        setup = tempTableStatements(); // inside the client's block: again until a block of the session's made them
    setup << InternalStatement{QByteArrayLiteral("DELETE FROM pg_temp.hubsync_capture"), {}}
          << InternalStatement{QByteArrayLiteral("SAVEPOINT hubsync_wt"), {}}
          << InternalStatement{QByteArrayLiteral("SELECT set_config('hubsync.capture', 'on', true), "
                                                 "set_config('hubsync.capture_table', $1, true), "
                                                 "set_config('hubsync.apply', 'off', true)"),
                               {table.toUtf8()}};
    const bool extended = !m_wt->simple;
    QByteArray portal;
    if (extended) {
        const protocol::Result<protocol::Execute> execute = protocol::Execute::decode(statement.payload);
        portal = execute ? execute->portal : QByteArray();
        m_wt->ranPortals.insert(portal);
        if (m_writeBinds.value(portal).bind == bind.bind)
            m_writeBinds.remove(portal); // the same portal in a later segment of the block: rows only
    }
    // The statement as the client sent it: its Query, or (second run) its Bind again and its Execute.
    const QByteArray dryRun = extended ? statement.toWire() + syncWire() : statement.toWire();
    QByteArray realRun = statement.toWire();
    if (extended) {
        QByteArray rebind;
        if (!portal.isEmpty())
            rebind += protocol::Close{protocol::ObjectKind::Portal, portal}.encode();
        realRun = rebind + rebindWire(bind) + statement.toWire() + syncWire();
    }

    const qsizetype setupStep = batch.add(internalStatements(setup));
    const qsizetype dryStep = batch.add(dryRun);
    // In one step: after a failed dry run the SELECT fails too and the ROLLBACK TO is skipped, which
    // leaves the block aborted, as the client's failed statement would have.
    const qsizetype captureStep = batch.add(internalStatements(
        {{QByteArrayLiteral("SELECT op, old_row::text, new_row::text FROM pg_temp.hubsync_capture ORDER BY ordinal"),
          {}},
         {QByteArrayLiteral("ROLLBACK TO SAVEPOINT hubsync_wt"), {}}}));
    wtSend(batch, [this, pre, setupStep, dryStep, captureStep, table, realRun, extended](const WtSteps &steps) {
        if (!wtPreSteps(steps, pre))
            return;
        if (hasError(steps.at(setupStep))) {
            // The session's own preparation failed (no right to create temp tables, say): say so.
            wtRelayErrors(steps.at(setupStep));
            wtAbort(false);
            return;
        }
        if (hasError(steps.at(dryStep))) {
            // The statement failed on its own (a constraint, a type error): exactly what the client
            // would have seen without the proxy, and nothing reached GitHub.
            wtRelay(steps.at(dryStep), false);
            wtAbort(false);
            return;
        }
        if (hasError(steps.at(captureStep))) {
            wtRelayErrors(steps.at(captureStep));
            wtAbort(false);
            return;
        }
        wtCapture(steps.at(captureStep), table, realRun, extended);
    });
}

void Session::wtCapture(const QList<protocol::Frame> &answer, const QString &table, const QByteArray &realRun,
                        bool extended) {
    QList<CapturedChange> changes;
    for (const protocol::Frame &f : answer) {
        if (f.type != protocol::DataRow::type)
            continue;
        const protocol::Result<protocol::DataRow> row = protocol::DataRow::decode(f.payload);
        if (!row || row->values.size() != 3)
            continue;
        CapturedChange change;
        const QByteArray op = row->values.at(0).value_or(QByteArray());
        change.op = op == "INSERT"   ? CapturedChange::Op::Insert
                    : op == "DELETE" ? CapturedChange::Op::Delete
                                     : CapturedChange::Op::Update;
        if (row->values.at(1))
            change.oldRow = QJsonDocument::fromJson(*row->values.at(1)).object();
        if (row->values.at(2))
            change.newRow = QJsonDocument::fromJson(*row->values.at(2)).object();
        changes << change;
    }
    if (changes.isEmpty()) {
        wtRealRun(realRun, extended, {});
        return;
    }
    WriteThrough *writer = m_host.writeThrough();
    if (!m_wt->holding) {
        m_wt->holding = true;
        writer->beginWrite();
    }
    QPointer<Session> guard(this);
    Session *self = this;
    writer->apply(table, changes, QStringLiteral("proxy session %1").arg(m_id),
                  [guard, self, writer, realRun, extended](const WriteOutcome &outcome) {
                      if (guard.isNull()) {
                          // The client went away while GitHub worked: keep the table equal to GitHub.
                          if (outcome.ok)
                              writer->reconcile(outcome.applied);
                          return;
                      }
                      self->wtApplied(outcome, realRun, extended);
                  });
}

void Session::wtApplied(const WriteOutcome &outcome, const QByteArray &realRun, bool extended) {
    if (!m_wt || m_state == State::Closing) {
        if (outcome.ok)
            m_host.writeThrough()->reconcile(outcome.applied);
        return;
    }
    if (!outcome.ok) {
        sendToClient(protocol::ErrorResponse{outcome.error}.encode());
        flushToClient();
        wtAbort(true);
        return;
    }
    wtRealRun(realRun, extended, outcome.applied);
}

void Session::wtRealRun(const QByteArray &realRun, bool extended, const QList<AppliedChange> &applied) {
    WriteThrough *writer = m_host.writeThrough();
    if (Error e = writer->storeReferences(applied))
        logWarning(category, QStringLiteral("session %1: %2").arg(m_id).arg(e.message));
    QJsonArray answers; // in the order of the captured rows, which INSERTs take theirs by
    for (const AppliedChange &change : applied) {
        QJsonObject answer{{QStringLiteral("op"), change.op == CapturedChange::Op::Insert   ? QStringLiteral("INSERT")
                                                  : change.op == CapturedChange::Op::Delete ? QStringLiteral("DELETE")
                                                                                            : QStringLiteral("UPDATE")},
                           {QStringLiteral("key"), double(change.key)},
                           {QStringLiteral("row"), change.row}};
        if (const QJsonObject match = keyColumns(change); !match.isEmpty())
            answer.insert(QStringLiteral("match"), match); // a table keyed by other columns than id
        answers.append(answer);
    }
    // For the BEFORE ROW trigger (migration 107), until the end of the transaction at the latest.
    const QList<InternalStatement> stage{
        {QByteArrayLiteral("SELECT set_config('hubsync.answers', $1, true), set_config('hubsync.answers_used', '', "
                           "true), set_config('hubsync.apply', 'on', true), set_config('hubsync.capture', 'off', "
                           "true)"),
         {QJsonDocument(answers).toJson(QJsonDocument::Compact)}}};
    m_wt->applied += applied;
    QList<InternalStatement> release{
        {QByteArrayLiteral("SELECT set_config('hubsync.apply', 'off', true), set_config('hubsync.answers', '', true)"),
         {}}};
    release += followUpStatements(applied);
    release << InternalStatement{QByteArrayLiteral("RELEASE SAVEPOINT hubsync_wt"), {}};
    WtBatch batch;
    const qsizetype stageStep = batch.add(internalStatements(stage));
    const qsizetype realStep = batch.add(realRun);
    const qsizetype releaseStep = batch.add(internalStatements(release));
    // The session's block ends with this write when nothing of the segment follows it. After a failed
    // step the COMMIT ends the aborted block as a ROLLBACK would.
    const qsizetype commitStep = m_wt->began && m_wt->endsSegment() && m_wt->pos >= m_wt->frames.size()
                                     ? batch.add(internalStatements({{QByteArrayLiteral("COMMIT"), {}}}))
                                     : -1;
    wtSend(batch, [this, extended, applied, stageStep, realStep, releaseStep, commitStep](const WtSteps &steps) {
        if (hasError(steps.at(stageStep))) {
            wtRelayErrors(steps.at(stageStep));
            wtAbort(false);
            return;
        }
        const QList<protocol::Frame> &result = steps.at(realStep);
        if (hasError(result)) {
            // GitHub has the change and the table refused GitHub's answer (a constraint of the
            // user's own, say): the client learns it, and the table is reconciled after the rollback.
            wtRelay(result, extended);
            wtAbort(false);
            return;
        }
        // The client's result, but not the ReadyForQuery (the step's own).
        QList<protocol::Frame> shown = result;
        const bool inClientBlock = !m_wt->began;
        if (inClientBlock && !applied.isEmpty()) {
            protocol::ErrorFields notice =
                protocol::ErrorFields::make("NOTICE", "01000",
                                            QByteArrayLiteral("HubSync applied this change to GitHub; a ROLLBACK "
                                                              "of this transaction does not undo it there"));
            notice.set(
                protocol::field::detail,
                QByteArrayLiteral("GitHub accepted the change before the statement completed. "
                                  "If the transaction rolls back, HubSync stores GitHub's version of the rows again."));
            // Before the CommandComplete (or PortalSuspended), as PostgreSQL sends notices raised during a
            // statement.
            for (qsizetype i = 0; i < shown.size(); ++i) {
                if (shown.at(i).type == protocol::CommandComplete::type || shown.at(i).type == 's') {
                    shown.insert(
                        i, protocol::Frame{protocol::NoticeResponse::type,
                                           protocol::NoticeResponse{notice}.encode().mid(protocol::typedHeaderSize)});
                    break;
                }
            }
        }
        wtRelay(shown, extended);
        logDebug(category,
                 QStringLiteral("session %1: write-through %2").arg(m_id).arg(QString::fromUtf8(commandTagOf(result))));
        if (hasError(steps.at(releaseStep))) {
            wtRelayErrors(steps.at(releaseStep));
            wtAbort(false);
            return;
        }
        if (commitStep >= 0) {
            wtCommitted(steps.at(commitStep)); // the write was the segment's last message
            return;
        }
        wtNext();
    });
}

QList<Session::InternalStatement> Session::followUpStatements(const QList<AppliedChange> &applied) const {
    WriteThrough *writeThrough = m_host.writeThrough();
    const TableWriter *writer = applied.isEmpty() ? nullptr : writeThrough->writer(applied.first().table);
    if (!writer)
        return {};
    const QByteArray parameter = writer->followUpParameter(applied);
    if (parameter.isEmpty())
        return {};
    QList<InternalStatement> statements;
    for (const QString &sql : writer->followUpStatements(writeThrough->quotedSchema()))
        statements << InternalStatement{sql.toUtf8(), {parameter}};
    return statements;
}

// The segment (or query) succeeded: commit what the session opened, answer the client's Sync/Query.
void Session::wtComplete() {
    if (m_wt->began && m_wt->status == protocol::TransactionStatus::InTransaction && !m_wt->endsSegment()) {
        // A Flush ended this part of the segment: the block stays open for the rest of it (its portals
        // too), and the run at the client's Sync commits it.
        m_sessionBlock = true;
        m_uncommitted += m_wt->applied; // reconciled if the block ends otherwise (a disconnect, say)
        wtFinish();
        return;
    }
    if (m_wt->began && m_wt->status == protocol::TransactionStatus::InTransaction) {
        WtBatch commit;
        commit.add(internalStatements({{QByteArrayLiteral("COMMIT"), {}}}));
        wtSend(commit, [this](const WtSteps &steps) { wtCommitted(steps.first()); });
        return;
    }
    if (!m_wt->began)
        m_uncommitted += m_wt->applied; // reconciled when the client's block ends (onReadyForQuery)
    wtFinish();
}

// The answer to the session's COMMIT ends the run. A deferred constraint that refused GitHub's rows at
// COMMIT: GitHub has them, so they are stored the way the sync engine would.
void Session::wtCommitted(const QList<protocol::Frame> &answer) {
    if (hasError(answer)) {
        wtRelayErrors(answer);
        m_host.writeThrough()->reconcile(m_wt->applied);
    }
    wtFinish();
}

// The client's segment failed at this point: skip the rest of it, as PostgreSQL skips to Sync, and undo
// what the session opened. forceAbort: the failure was GitHub's, the server's transaction is still fine,
// so the client's block is put into the aborted state a failed statement leaves it in.
void Session::wtAbort(bool forceAbort) {
    m_wt->pos = int(m_wt->frames.size());
    m_wt->aborted = true;
    QList<InternalStatement> undo;
    if (m_wt->began) {
        if (m_wt->status != protocol::TransactionStatus::Idle)
            undo << InternalStatement{QByteArrayLiteral("ROLLBACK"), {}};
    } else if (forceAbort && m_wt->status == protocol::TransactionStatus::InTransaction) {
        undo << InternalStatement{QByteArrayLiteral("RELEASE SAVEPOINT hubsync_wt"), {}}
             << InternalStatement{
                    QByteArrayLiteral("DO $hubsync$BEGIN RAISE EXCEPTION 'statement refused by GitHub (see the error "
                                      "the HubSync proxy sent)'; END$hubsync$"),
                    {}};
    }
    const auto finish = [this] {
        // Rows GitHub accepted earlier in this segment were rolled back with it: store GitHub's version.
        if (m_wt->began && !m_wt->applied.isEmpty())
            m_host.writeThrough()->reconcile(m_wt->applied);
        else if (!m_wt->began)
            m_uncommitted += m_wt->applied;
        wtFinish();
    };
    if (undo.isEmpty()) {
        finish();
        return;
    }
    WtBatch batch;
    batch.add(internalStatements(undo));
    wtSend(batch, [finish](const WtSteps &) { finish(); });
}

void Session::wtFinish() {
    std::unique_ptr<WtRun> run = std::move(m_wt);
    m_wtInternal = false;
    if (run->endsSegment() || run->aborted)
        m_sessionBlock = false;
    if (run->holding)
        m_host.writeThrough()->endWrite();
    if (run->owesReady) {
        sendToClient(protocol::ReadyForQuery{run->status}.encode());
        ++m_syncPointsAnswered;
        if (m_syncPointsAnswered >= m_syncPointsSent && !m_extendedOpen) {
            m_syncPointsAnswered = m_syncPointsSent;
            setState(State::Ready);
        }
    } else {
        // A Flush ended this part of the segment; the rest of it follows in the same transaction, or
        // is skipped up to the client's Sync after a failure, as PostgreSQL skips it.
        m_segmentPartlySent = !run->endsSegment();
        if (run->aborted)
            m_discardUntilSync = true;
    }
    m_errorSinceReady = false;
    if (run->status == protocol::TransactionStatus::Idle)
        reconcileEndedBlock();
    flushToClient();
    // Whatever the server sent after the last answer belongs to the ordinary relay again.
    const QByteArray rest = m_wtReader.takeBuffered();
    if (!rest.isEmpty())
        relayFromUpstream(rest);
    // The held client messages run at the next turn of the event loop, outside this step's callback.
    QTimer::singleShot(0, this, &Session::drainHeld);
}

// The client's transaction block ended (COMMIT or ROLLBACK): its rows must equal GitHub's answers either way.
void Session::reconcileEndedBlock() {
    if (m_uncommitted.isEmpty())
        return;
    if (WriteThrough *writer = m_host.writeThrough())
        writer->reconcile(std::exchange(m_uncommitted, {}));
}

} // namespace hubsync::proxy
