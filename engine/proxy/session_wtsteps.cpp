// Session, write-through steps: how the session talks to PostgreSQL for itself while a write runs. Its
// own statements (prepared once per connection under a name of its own), batches of steps that each end
// in a Sync, the answers read whole and told apart by their ReadyForQuery, and what of them reaches the
// client. The write-through sequence itself is in session_writethrough.cpp.

#include "proxy/protocol/copy.h"
#include "proxy/protocol/messages_frontend.h"
#include "proxy/session.h"

#include <QRandomGenerator>

#include <algorithm>

namespace hubsync::proxy {

namespace {

QByteArray syncWire() {
    return protocol::Sync{}.encode();
}

bool hasError(const QList<protocol::Frame> &messages) {
    return std::any_of(messages.cbegin(), messages.cend(),
                       [](const protocol::Frame &f) { return f.type == protocol::ErrorResponse::type; });
}

} // namespace

QList<Session::InternalStatement> Session::tempTableStatements() {
    // EXTERNAL: the rows live for one statement, so compressing their raw JSON would be wasted work.
    return {{QByteArrayLiteral("CREATE TEMP TABLE IF NOT EXISTS hubsync_capture (ordinal bigserial, op text, old_row "
                               "jsonb, new_row jsonb)"),
             {}},
            {QByteArrayLiteral("ALTER TABLE pg_temp.hubsync_capture ALTER COLUMN old_row SET STORAGE EXTERNAL, ALTER "
                               "COLUMN new_row SET STORAGE EXTERNAL"),
             {}}};
}

// One step of the session's own statements: each through the portal hubsync_wt (closed again at once,
// so the client's portals are untouched), parsed on first use and prepared for the session's lifetime.
QByteArray Session::internalStatements(const QList<InternalStatement> &statements) {
    QByteArray wire;
    // Closing a statement that does not exist is no error, and a Close runs in an aborted block too.
    for (const QByteArray &name : std::exchange(m_wtStale, {}))
        wire += protocol::Close{protocol::ObjectKind::Statement, name}.encode();
    for (const InternalStatement &s : statements) {
        auto prepared = m_wtPrepared.constFind(s.sql);
        if (prepared == m_wtPrepared.cend()) {
            const QByteArray name = wtName() + '_' + QByteArray::number(++m_wtCounter);
            wire += protocol::Parse{name, s.sql, {}}.encode();
            prepared = m_wtPrepared.insert(s.sql, name);
        }
        protocol::Bind bind;
        bind.portal = wtName();
        bind.statement = *prepared;
        bind.parameters = s.params;
        wire += bind.encode();
        wire += protocol::Execute{wtName(), 0}.encode();
        wire += protocol::Close{protocol::ObjectKind::Portal, wtName()}.encode();
    }
    wire += syncWire();
    return wire;
}

// The prefix of the session's statement and portal names: random per session, so that a client's own
// names never collide with them by accident.
const QByteArray &Session::wtName() {
    if (m_wtPrefix.isEmpty())
        m_wtPrefix =
            QByteArrayLiteral("hubsync_wt_") + QByteArray::number(QRandomGenerator::global()->generate64(), 36);
    return m_wtPrefix;
}

// After a failed batch, or when the client discards prepared statements or temp tables: whatever the
// session prepared or created may be gone, so it prepares and creates it again.
void Session::forgetInternalState() {
    for (auto it = m_wtPrepared.cbegin(); it != m_wtPrepared.cend(); ++it)
        m_wtStale << it.value();
    m_wtPrepared.clear();
    m_wtTablesReady = false;
}

// A client statement that may drop what the session keeps on the server (DISCARD ALL/PLANS/TEMP,
// DEALLOCATE ALL, a DROP of the capture table). A Query runs at once; a Parse runs at each Bind of its
// statement (it may be prepared long before the session keeps anything).
void Session::noteClientSql(QByteArrayView sql, const QByteArray *parsedStatement) {
    // A Query is looked at only while the session keeps something (the hot path of plain reads).
    if (parsedStatement ? !m_host.writeThrough() : m_wtPrepared.isEmpty() && !m_wtTablesReady)
        return;
    const QLatin1StringView text(sql.data(), sql.size()); // the keywords are ASCII
    const bool mayDropOurs = text.contains(QLatin1StringView("discard"), Qt::CaseInsensitive) ||
                             text.contains(QLatin1StringView("deallocate"), Qt::CaseInsensitive) ||
                             text.contains(QLatin1StringView("hubsync_capture"), Qt::CaseInsensitive);
    if (!parsedStatement) {
        if (mayDropOurs)
            forgetInternalState();
        return;
    }
    if (!mayDropOurs)
        m_resettingStatements.remove(*parsedStatement);
    else if (m_resettingStatements.size() < 1024)
        m_resettingStatements.insert(*parsedStatement);
    else
        m_resetAtEveryBind = true; // a client that prepares that many of them pays a Parse per write
}

void Session::noteClientBind(const QByteArray &statement) {
    if (m_resetAtEveryBind || m_resettingStatements.contains(statement))
        forgetInternalState();
}

void Session::wtSend(const WtBatch &batch, WtContinuation then) {
    Q_ASSERT(batch.steps > 0);
    m_wtCollected.clear();
    m_wtSteps.clear();
    m_wtStepsLeft = batch.steps;
    m_wtThen = std::move(then);
    sendToUpstream(batch.wire);
    flushToUpstream();
}

// Server messages while write-through runs (pumpUpstream hands them here instead of relaying them).
void Session::wtFeed(const QByteArray &chunk) {
    m_wtReader.feed(chunk);
    protocol::Frame frame;
    for (;;) {
        const protocol::MessageReader::Status status = m_wtReader.next(frame);
        if (status == protocol::MessageReader::Status::NeedMore)
            return;
        if (status == protocol::MessageReader::Status::Error) {
            fatal("08P01", QStringLiteral("the database server sent an invalid message"), m_wtReader.error());
            return;
        }
        if (frame.type == protocol::ReadyForQuery::type) {
            const protocol::Result<protocol::ReadyForQuery> ready = protocol::ReadyForQuery::decode(frame.payload);
            const protocol::TransactionStatus now = ready ? ready->status : protocol::TransactionStatus::Failed;
            if (m_wt)
                m_wt->status = now;
            m_transactionStatus = now;
            m_wtSteps.append(std::exchange(m_wtCollected, {}));
            if (--m_wtStepsLeft > 0)
                continue; // the batch's next step
            WtContinuation then = std::move(m_wtThen);
            m_wtThen = nullptr;
            const WtSteps steps = std::exchange(m_wtSteps, {});
            // After an error: Parses after it never ran, a client may have closed a statement of ours
            // (or dropped the capture table), so everything is prepared and created again.
            if (std::any_of(steps.cbegin(), steps.cend(), hasError))
                forgetInternalState();
            if (then)
                then(steps);
            if (!m_wtInternal)
                return; // the run ended; wtFinish() handed the rest of the stream to the relay
            continue;
        }
        if (frame.type == protocol::CopyInResponse::type) {
            // COPY FROM STDIN cannot be part of a segment that writes issues: end it at once. It can only
            // come from an Execute of the segment, and the server ignored the step's Sync while it was in
            // copy-in mode: a Sync of its own ends the step.
            sendToUpstream(
                protocol::CopyFail{QByteArrayLiteral("COPY cannot run in a pipeline that writes to GitHub tables")}
                    .encode() +
                syncWire());
            flushToUpstream();
        }
        if (frame.type == protocol::ParameterStatus::type || frame.type == 'A') {
            sendToClient(frame.toWire()); // asynchronous: the client's, whatever step is running
            continue;
        }
        m_wtCollected.append(frame);
    }
}

// Relays what a step collected to the client; refused statements get their rewritten error.
void Session::wtRelay(const QList<protocol::Frame> &messages, bool skipFirstBindComplete) {
    bool skipped = !skipFirstBindComplete;
    for (const protocol::Frame &f : messages) {
        if (!skipped && f.type == '2') {
            skipped = true;
            continue;
        }
        if ((f.type == '3' || f.type == '1') && skipFirstBindComplete)
            continue; // the Close of the second run's portal, and of its statement parsed again
        if (f.type == protocol::ErrorResponse::type) {
            QByteArray out;
            if (replaceRefusal(f.payload, out)) {
                sendToClient(out);
                continue;
            }
        }
        sendToClient(f.toWire());
    }
    flushToClient();
}

void Session::wtRelayErrors(const QList<protocol::Frame> &messages) {
    for (const protocol::Frame &f : messages)
        if (f.type == protocol::ErrorResponse::type)
            sendToClient(f.toWire());
    flushToClient();
}

} // namespace hubsync::proxy
